# syntax=docker/dockerfile:1

# ---- build ----
FROM rust:1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The cache mounts keep downloaded crates and compiled dependencies between builds; the binary
# is copied out of the cached target directory so that the next stage can reach it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && cp target/release/mardom /usr/local/bin/mardom

# ---- runtime ----
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /app --shell /usr/sbin/nologin mardom \
    && mkdir -p /app/data \
    && chown -R mardom:mardom /app
COPY --from=build /usr/local/bin/mardom /usr/local/bin/mardom
WORKDIR /app
# The default database (sqlite://data/mardom.db) and its generated JWT secret live here.
VOLUME /app/data
USER mardom
ENV MARDOM_BIND=0.0.0.0:8080
EXPOSE 8080
# No HEALTHCHECK: the slim image has no HTTP client to probe the API with.
ENTRYPOINT ["mardom"]
CMD ["serve"]
