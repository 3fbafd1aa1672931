#!/usr/bin/env python3
"""The side-by-side benchmark: the API against the raw database doing the same work.

    bench/run                      # PostgreSQL then SQLite, 10,000 and 1,000,000 rows, 5 rounds
    bench/run --quick              # a two-minute smoke run (2,000 rows, 2 rounds, 3 s loads)
    bench/run --sizes 10000 --backends postgres --rounds 3

Builds the release binary, fills a fresh database per backend and size with scripts/dataset.py,
starts `mardom serve` on it (rate limits off, the SMS dispatcher off so that only the API's own
work is measured) and runs, in interleaved rounds, each load for --seconds:

  submit_api   wrk, concurrency 8: POST /api/v1/public/requests, unique mobile and Idempotency-Key
  submit_db    the same statements straight on the database, concurrency 8 (PostgreSQL:
               pgbench -M prepared with bench/sql/submit.pgbench.sql; SQLite: 8 sqlite3 shells
               with bench/sql/submit.sqlite.sql)
  submit_min   the hand-written minimum: the request's row and its SMS row in one transaction,
               pgbench -M prepared, concurrency 8, bench/sql/submit_min.pgbench.sql (PostgreSQL)
  lookup_api   wrk, concurrency 32: GET /api/v1/public/requests/{code}, codes sampled from the table
  lookup_304   the same with If-None-Match: the view's own tag, so every answer is 304
  lookup_db    pgbench -M prepared, concurrency 32: the lookup's statement (PostgreSQL only)
  lookup_min   the hand-written minimum: the request's row by tracking code through its index,
               pgbench -M prepared, concurrency 32, bench/sql/lookup_min.pgbench.sql (PostgreSQL)
  live         wrk, concurrency 32: GET /health/live, the HTTP ceiling of the same server
  list_first   wrk, concurrency 8: GET /api/v1/requests?status=referred&channel=online&limit=50
  list_deep    the same with the cursor of the page 90 % of the way down

The server runs with retention off (its first scheduler pass would otherwise write notices for
the dataset's old requests during the first round) and seals the dataset's identities, stored in
the clear by scripts/dataset.py, before it answers /health/ready.

Medians over the rounds go to target/bench/results.json and, with --write, into BENCHMARKS.md
between the `bench:begin` and `bench:end` markers. The server's peak RSS is VmHWM from /proc.
Needs wrk, pgbench, psql and sqlite3 (Debian packages wrk, postgresql-client, sqlite3).
"""

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = ROOT / "target" / "bench"
BINARY = ROOT / "target" / "release" / "mardom"
PORT = 18480
BASE = f"http://127.0.0.1:{PORT}"
JWT = "bench-secret-0123456789abcdef0123456789abcdef"
ADMIN = ("dataset", "dataset-admin-password")
LIST_QUERY = "/api/v1/requests?status=referred&channel=online&limit=50"


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


# ---------------------------------------------------------------- databases


class Postgres:
    name = "postgres"

    def __init__(self, server_url, size):
        self.server_url = server_url.rstrip("/")
        self.db = f"mardom_bench_{size}"
        # The server and the database share the machine, as in a single-host deployment: no TLS
        # on loopback, for the server and for pgbench alike (with TLS both pay ~20 % more CPU).
        self.url = f"{self.server_url}/{self.db}?sslmode=disable"

    def psql(self, sql, url=None):
        return run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url or self.url, "-c", sql]).stdout

    def recreate(self):
        admin = f"{self.server_url}/postgres?sslmode=disable"
        self.psql(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)', admin)
        self.psql(f'CREATE DATABASE "{self.db}"', admin)

    def sample_codes(self, n):
        # Only the server's own 12-digit codes: the references insert 13-digit ones.
        codes = self.psql(f"SELECT tracking_code FROM requests WHERE length(tracking_code) = 12 "
                          f"ORDER BY random() LIMIT {n}").split()
        self.psql("DROP TABLE IF EXISTS bench_codes; CREATE TABLE bench_codes (n int PRIMARY KEY, code text NOT NULL)")
        run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.url, "-c", "COPY bench_codes FROM STDIN"],
            input="".join(f"{i}\t{c}\n" for i, c in enumerate(codes, start=1)))
        self.psql("ANALYZE bench_codes")
        return codes

    def analyze(self):
        self.psql("ANALYZE")

    def count(self, where):
        return int(self.psql(f"SELECT count(*) FROM requests WHERE {where}").strip())


class Sqlite:
    name = "sqlite"

    def __init__(self, size):
        self.path = OUT / f"sqlite-{size}.db"
        self.url = f"sqlite://{self.path}"

    def sql(self, sql):
        return run(["sqlite3", "-bail", str(self.path), sql]).stdout

    def recreate(self):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def sample_codes(self, n):
        return self.sql(f"SELECT tracking_code FROM requests WHERE length(tracking_code) = 12 "
                        f"ORDER BY random() LIMIT {n}").split()

    def analyze(self):
        self.sql("ANALYZE")

    def count(self, where):
        return int(self.sql(f"SELECT count(*) FROM requests WHERE {where}").strip())


# ---------------------------------------------------------------- the server


class Server:
    def __init__(self, database_url, logfile, extra_env=None, pin=None):
        env = dict(os.environ, DATABASE_URL=database_url, MARDOM_BIND=f"127.0.0.1:{PORT}",
                   MARDOM_JWT_SECRET=JWT, MARDOM_DISPATCHER="off",
                   MARDOM_IDENTITY_KEYS="s1:AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=", MARDOM_BLIND_INDEX_KEY="BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=",
                   MARDOM_SUBMISSIONS_PER_CLIENT_HOUR="off", MARDOM_LOOKUPS_PER_CLIENT_MINUTE="off",
                   MARDOM_SUBMISSIONS_PER_MOBILE_DAY="off",
                   MARDOM_MEETING_REQUESTS_PER_MOBILE="off", MARDOM_RETENTION_MONTHS="off",
                   **(extra_env or {}))
        try:
            urllib.request.urlopen(f"{BASE}/health/live", timeout=1)
            raise SystemExit(f"another server already answers on {BASE}: stop it first")
        except OSError:
            pass  # the port is free
        self.log = open(logfile, "w")
        pinned = ["taskset", "-c", pin] if pin else []
        self.proc = subprocess.Popen(pinned + [str(BINARY), "serve"], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        # Up to 15 minutes: the first start on a million-row dataset seals every identity.
        for _ in range(9000):
            if self.proc.poll() is not None:
                break
            try:
                if urllib.request.urlopen(f"{BASE}/health/ready", timeout=1).status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"the server did not start; see {logfile}")

    def peak_rss_mib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def http_json(method, path, body=None, token=None, headers=()):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for name, value in headers:
        req.add_header(name, value)
    with urllib.request.urlopen(req, timeout=30) as answer:
        return answer.read().decode()


# ---------------------------------------------------------------- load generators


def wrk(script, path, connections, seconds, headers=(), env=None):
    # A 10 s timeout: a slow answer is measured (it is the tail), not dropped as an error.
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "--latency",
           "-s", str(BENCH / "wrk" / script)]
    for h in headers:
        cmd += ["-H", h]
    out = run(cmd + [BASE + path], env=dict(os.environ, **(env or {}))).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRK_RESULT "))
    result = json.loads(line.removeprefix("WRK_RESULT "))
    if result["non_2xx"] or result["socket_errors"]:
        raise SystemExit(f"{script} {path}: {result['non_2xx']} non-2xx, {result['socket_errors']} socket errors")
    return result


def pgbench(url, script, connections, seconds, defines=()):
    logs = OUT / "pgbench-log"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir()
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(connections), "-j", "2", "-T", str(seconds), "-f", str(script),
           "-l", "--log-prefix", str(logs / "tx")]
    for d in defines:
        cmd += ["-D", d]
    out = run(cmd + [url]).stdout
    if re.search(r"number of failed transactions: [1-9]", out) or "aborted" in out:
        raise SystemExit(f"pgbench {script} failed:\n{out}")
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    # One line per transaction; the third field is its latency in microseconds.
    latencies = sorted(int(line.split()[2]) for f in logs.iterdir() for line in f.read_text().splitlines())
    pick = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))] / 1000
    return {"rps": tps, "p50_ms": pick(0.5), "p99_ms": pick(0.99)}


def sqlite_submit(db, connections, seconds, run_id, body):
    """`connections` sqlite3 shells, each running the submit transaction in a loop until stopped;
    what they committed is counted afterwards by the run's tracking-code prefix."""
    # The statements the server runs on SQLite (src/db/registration.rs), with literal values
    # per transaction.
    template = (BENCH / "sql" / "submit.sqlite.sql").read_text()
    prefix = f"9{run_id % 100:02d}"
    procs = []
    for c in range(connections):
        script = OUT / f"submit-sqlite-{c}.sql"
        with open(script, "w") as f:
            f.write(".timeout 10000\nPRAGMA synchronous = FULL;\nPRAGMA foreign_keys = ON;\n")
            # Enough for 12,000 commits a second, well beyond what one SQLite writer commits.
            for i in range(12_000 * seconds // connections):
                serial = f"{c}{i:07d}"
                f.write(template.replace("'{\"tracking_code\":\":code\"}'", f"'{{\"tracking_code\":\"{prefix}{serial}00\"}}'")
                        .replace(":code", f"'{prefix}{serial}00'").replace(":serial", serial)
                        .replace(":run", f"{run_id % 100:02d}").replace(":body", body))
        procs.append(script)
    started = time.monotonic()
    running = [subprocess.Popen(["sqlite3", "-bail", str(db.path)], stdin=open(s), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE) for s in procs]
    time.sleep(seconds)
    if any(p.poll() is not None for p in running):
        raise SystemExit("a sqlite3 shell ended early (out of transactions, or an error): "
                         + " ".join(p.stderr.read().decode() for p in running))
    for p in running:
        p.send_signal(signal.SIGTERM)
    for p in running:
        p.wait()
    elapsed = time.monotonic() - started
    done = db.count(f"tracking_code LIKE '{prefix}%' AND length(tracking_code) = 13")
    return {"rps": done / elapsed, "p50_ms": None, "p99_ms": None}


# ---------------------------------------------------------------- one backend at one size


def bench_one(db, size, args, run_id):
    log(f"{db.name} {size}: filling")
    db.recreate()
    filled = run([sys.executable, str(ROOT / "scripts" / "dataset.py"), "--database-url", db.url, "--requests",
                  str(size), "--binary", str(BINARY)], cwd=ROOT)
    log(filled.stdout.strip())
    codes = db.sample_codes(10_000)
    codes_file = OUT / f"codes-{db.name}-{size}.txt"
    codes_file.write_text("\n".join(codes) + "\n")

    server = Server(db.url, OUT / f"server-{db.name}-{size}.log")
    try:
        token = json.loads(http_json("POST", "/api/v1/auth/token", {"username": ADMIN[0], "password": ADMIN[1]}))[
            "access_token"]
        auth = f"Authorization: Bearer {token}"
        deep = deep_page(token, db.count("status = 'referred' AND channel = 'online'"))
        body = http_json("POST", "/api/v1/public/requests", {
            "name": "مریم حسینی", "mobile": "09350000001", "proposed_kind": "complaint",
            "text": "شکایت از طولانی بودن زمان انتظار در بخش اورژانس بیمارستان و برخورد نامناسب کارکنان پذیرش"},
            headers=[("Idempotency-Key", f"bench-probe-{run_id}")])
        sql_body = body.replace("'", "''")
        tags_file = OUT / f"tags-{db.name}-{size}.txt"
        tags_file.write_text("".join(f"{code} {etag_of(code)}\n" for code in codes[:2000]))
        loads = {
            "submit_api": lambda r: wrk("submit.lua", "/api/v1/public/requests", 8, args.seconds,
                                        env={"BENCH_RUN": str(run_id * 10 + r)}),
            "lookup_api": lambda r: wrk("lookup.lua", "/", 32, args.seconds, env={"BENCH_CODES": str(codes_file)}),
            "lookup_304": lambda r: wrk("lookup_conditional.lua", "/", 32, args.seconds,
                                        env={"BENCH_TAGS": str(tags_file)}),
            "live": lambda r: wrk("get.lua", "/health/live", 32, args.seconds),
            "list_first": lambda r: wrk("get.lua", LIST_QUERY, 8, args.seconds, headers=[auth]),
            "list_deep": lambda r: wrk("get.lua", deep, 8, args.seconds, headers=[auth]),
        }
        if db.name == "postgres":
            loads["submit_db"] = lambda r: pgbench(db.url, BENCH / "sql" / "submit.pgbench.sql", 8, args.seconds,
                                                   [f"body={json.dumps(body, ensure_ascii=False)}"])
            loads["lookup_db"] = lambda r: pgbench(db.url, BENCH / "sql" / "lookup.pgbench.sql", 32, args.seconds,
                                                   [f"codes={len(codes)}"])
            loads["submit_min"] = lambda r: pgbench(db.url, BENCH / "sql" / "submit_min.pgbench.sql", 8, args.seconds)
            loads["lookup_min"] = lambda r: pgbench(db.url, BENCH / "sql" / "lookup_min.pgbench.sql", 32,
                                                    args.seconds, [f"codes={len(codes)}"])
        else:
            loads["submit_db"] = lambda r: sqlite_submit(db, 8, args.seconds, run_id * 10 + r, sql_body)
        order = ["submit_api", "submit_db", "submit_min", "lookup_api", "lookup_db", "lookup_min", "lookup_304",
                 "live", "list_first", "list_deep"]
        rounds = {name: [] for name in order if name in loads}
        for r in range(args.rounds):
            for name in rounds:
                if name == "lookup_api":
                    # The submit loads just added thousands of rows (at 10,000 rows, several
                    # times the table); autovacuum would analyse them within its next minute,
                    # and a planner with stale statistics picks another index for the list.
                    db.analyze()
                result = loads[name](r)
                rounds[name].append(result)
                log(f"{db.name} {size} round {r + 1}: {name} {result['rps']:.0f}/s"
                    + (f" p50 {result['p50_ms']:.2f} p99 {result['p99_ms']:.2f} ms" if result["p99_ms"] else ""))
        return {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "rounds": rounds, "medians": {n: medians(v) for n, v in rounds.items()},
                "peak_rss_mib": server.peak_rss_mib(), "deep_page": deep}
    finally:
        server.stop()


def etag_of(code):
    with urllib.request.urlopen(f"{BASE}/api/v1/public/requests/{code}", timeout=30) as answer:
        return answer.headers["ETag"]


def deep_page(token, matching):
    """The list URL of the page 90 % of the way through the `matching` rows, by following cursors."""
    target = int(matching * 0.9) // 50
    path, page = LIST_QUERY, 0
    while page < target:
        nxt = json.loads(http_json("GET", path, token=token)).get("next_cursor")
        if not nxt:
            break
        path, page = f"{LIST_QUERY}&cursor={nxt}", page + 1
    log(f"deep page: {page} of {matching // 50} ({matching} matching rows)")
    return path


def medians(results):
    keys = [k for k in ("rps", "p50_ms", "p99_ms") if results[0].get(k) is not None]
    return {k: statistics.median(r[k] for r in results) for k in keys}


# ---------------------------------------------------------------- the report


REFERENCES = {
    "submit_db": {"postgres": "pgbench, the same statement", "sqlite": "8 sqlite3 shells, the same transaction"},
    "lookup_db": {"postgres": "pgbench, the same statement"},
    "submit_min": {"postgres": "pgbench, request + SMS row (minimum)"},
    "lookup_min": {"postgres": "pgbench, indexed SELECT (minimum)"},
    "live": {"postgres": "GET /health/live", "sqlite": "GET /health/live"},
    "lookup_api": {"postgres": "the same lookups answered 200", "sqlite": "the same lookups answered 200"},
}
ROWS = [("submit (c=8)", "submit_api", "submit_db"), ("submit (c=8)", "submit_api", "submit_min"),
        ("lookup (c=32)", "lookup_api", "lookup_db"), ("lookup (c=32)", "lookup_api", "lookup_min"),
        ("lookup (c=32)", "lookup_api", "live"), ("lookup answered 304 (c=32)", "lookup_304", "lookup_api"),
        ("staff list, first page (c=8)", "list_first", None),
        ("staff list, deep page (c=8)", "list_deep", None)]


def paired(r, api, ref, key="rps"):
    """The median over rounds of api ÷ ref, each pair measured in the same round."""
    return statistics.median(a[key] / b[key] for a, b in zip(r["rounds"][api], r["rounds"][ref]))


def ms(value):
    return "" if value is None else f"{value:.2f}"


def report(results, machine, dispatcher):
    lines = [f"Written {machine['when']} on {machine['cpu']} ({machine['cores']} cores), {machine['kernel']}, "
             f"PostgreSQL {machine['postgres']}, SQLite {machine['sqlite']}, {machine['rustc']}; "
             f"{machine['rounds']} interleaved rounds of {machine['seconds']} s per load; medians of the rounds. "
             "Ratio: the median over the rounds of the API's requests/s over the reference's in the same "
             "round (the deep page: its p99 over the first page's).", ""]
    targets = []
    for backend in ("postgres", "sqlite"):
        sizes = {int(k.split(":")[1]): v for k, v in results.items() if k.startswith(backend + ":")}
        if not sizes:
            continue
        finished = ", ".join(sorted({r.get("when", machine["when"]) for r in sizes.values()}))
        lines += [f"### {'PostgreSQL' if backend == 'postgres' else 'SQLite'} (finished {finished})", "",
                  "| load | rows | req/s | p50 ms | p99 ms | reference | ref. req/s | ref. p50 ms | ref. p99 ms | ratio |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for size, r in sorted(sizes.items()):
            m = r["medians"]
            for label, api, ref in ROWS:
                if api not in m or (ref and ref not in m):
                    continue
                a, b = m[api], m.get(ref, {})
                reference = REFERENCES[ref][backend] if ref else ""
                ref_rps = f"{b['rps']:,.0f}" if ref else ""
                ratio = f"{paired(r, api, ref):.2f}" if ref else ""
                lines.append(f"| {label} | {size:,} | {a['rps']:,.0f} | {ms(a.get('p50_ms'))} | {ms(a.get('p99_ms'))} | "
                             f"{reference} | {ref_rps} | {ms(b.get('p50_ms'))} | {ms(b.get('p99_ms'))} | {ratio} |")
            lines.append(f"| server peak RSS | {size:,} | {r['peak_rss_mib']:.1f} MiB | | | | | | | |")
            deep = paired(r, "list_deep", "list_first", "p99_ms")
            submit = paired(r, "submit_api", "submit_db")
            targets.append((f"{backend} {size:,} rows: submit ≥ {0.8 if backend == 'postgres' else 0.7} × reference",
                            f"{submit:.2f}", submit >= (0.8 if backend == "postgres" else 0.7)))
            if "lookup_db" in m:
                lookup = paired(r, "lookup_api", "lookup_db")
                targets.append((f"{backend} {size:,} rows: lookup ≥ 0.5 × pgbench", f"{lookup:.2f}", lookup >= 0.5))
                tail = paired(r, "lookup_api", "lookup_db", "p99_ms")
                targets.append((f"{backend} {size:,} rows: lookup p99 ≤ 3 × pgbench's p99 in the same round",
                                f"{tail:.2f} ({m['lookup_api']['p99_ms']:.2f} ms beside {m['lookup_db']['p99_ms']:.2f} ms)",
                                tail <= 3))
            targets.append((f"{backend} {size:,} rows: deep page p99 ≤ 1.5 × first page p99", f"{deep:.2f}", deep <= 1.5))
            targets.append((f"{backend} {size:,} rows: server peak RSS ≤ 64 MiB", f"{r['peak_rss_mib']:.1f} MiB",
                            r["peak_rss_mib"] <= 64))
        lines.append("")
        if len(sizes) >= 2:
            small, large = min(sizes), max(sizes)
            for name in ("lookup_api", "list_first", "list_deep"):
                growth = sizes[large]["medians"][name]["p99_ms"] / sizes[small]["medians"][name]["p99_ms"]
                targets.append((f"{backend}: {name} p99 at {large:,} ÷ at {small:,} rows ≤ 1.3", f"{growth:.2f}",
                                growth <= 1.3))
    if dispatcher:
        targets.append(("dispatcher ≥ 2,000 SMS/s to a local fake provider (PostgreSQL)",
                        f"{dispatcher['rate']:,.0f}/s ({dispatcher['messages']:,} in {dispatcher['seconds']:.2f} s)",
                        dispatcher["rate"] >= 2000))
    lines += ["### Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {v} | {'yes' if ok else '**no**'} |" for t, v, ok in targets]
    return "\n".join(lines) + "\n"


def dispatcher_throughput(args):
    """The dispatcher's rate against a local fake provider: the ignored test that measures it,
    built in release mode, on PostgreSQL."""
    log("dispatcher throughput")
    env = dict(os.environ, MARDOM_TEST_POSTGRES_URL=f"{args.pg_url}/test?sslmode=disable")
    out = subprocess.run(["cargo", "test", "--release", "--locked", "--test", "api", "--", "--ignored", "--exact",
                          "delivery::dispatcher_throughput", "--nocapture"], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    line = next(l for l in (out.stdout + out.stderr).splitlines() if l.startswith("DISPATCHER_THROUGHPUT "))
    return json.loads(line.removeprefix("DISPATCHER_THROUGHPUT "))


def machine_facts(args):
    def out(cmd):
        try:
            return run(cmd).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    return {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu, "cores": os.cpu_count(),
            "kernel": platform.platform(), "postgres": out(["psql", "-X", "-At", args.pg_url + "/postgres", "-c",
                                                             "SHOW server_version"]).split(" ")[0],
            "sqlite": out(["sqlite3", "--version"]).split(" ")[0], "rustc": out(["rustc", "--version"]),
            "rounds": args.rounds, "seconds": args.seconds}


def write_benchmarks_md(text):
    path = ROOT / "BENCHMARKS.md"
    doc = path.read_text()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n{text}\n{end}{tail}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 rows, 2 rounds of 3 s, no dispatcher measurement: checks the harness")
    parser.add_argument("--write", action="store_true", help="write the tables into BENCHMARKS.md")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--report-only", action="store_true",
                        help="only write the report of target/bench/results.json (and dispatcher.json)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other backends' and sizes' results of the last run (target/bench/results.json)")
    parser.add_argument("--no-dispatcher", action="store_true", help="skip the SMS dispatcher measurement")
    args = parser.parse_args()
    if args.quick:
        # The dispatcher's measurement builds the test binary in release mode: minutes on its own.
        args.sizes, args.rounds, args.seconds, args.no_dispatcher = "2000", 2, 3, True
    for tool in ("wrk", "pgbench", "psql", "sqlite3"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install wrk postgresql-client sqlite3")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        saved = OUT / "dispatcher.json"
        text = report(json.loads((OUT / "results.json").read_text()), machine_facts(args),
                      json.loads(saved.read_text()) if saved.exists() else None)
        print(text)
        if args.write:
            write_benchmarks_md(text)
        return
    if not args.no_build:
        log("building the release binary")
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    run_id = random.randrange(1, 10_000_000)
    previous = OUT / "results.json"
    results = json.loads(previous.read_text()) if args.merge and previous.exists() else {}
    for backend in args.backends.split(","):
        for size in map(int, args.sizes.split(",")):
            db = Postgres(args.pg_url, size) if backend == "postgres" else Sqlite(size)
            results[f"{backend}:{size}"] = bench_one(db, size, args, run_id)
            (OUT / "results.json").write_text(json.dumps(results, indent=1))
    dispatcher = None if args.no_dispatcher else dispatcher_throughput(args)
    if dispatcher:
        (OUT / "dispatcher.json").write_text(json.dumps(dispatcher))
    text = report(results, machine_facts(args), dispatcher)
    print(text)
    if args.write:
        write_benchmarks_md(text)


if __name__ == "__main__":
    main()
