#!/usr/bin/env bash
# Starts (if it is not already answering) moto, an S3-compatible server from PyPI, on
# 127.0.0.1:${MOTO_PORT:-5055} for the object-store half of the attachment tests, and prints
# the URL to give them as MARDOM_TEST_S3_URL. moto keeps everything in memory and checks no
# signature: each test creates its own bucket with an unsigned PUT. Installed into the venv
# given as $1 (default target/ci-venv) on first use (about 40 s).
set -euo pipefail

venv=${1:-target/ci-venv}
port=${MOTO_PORT:-5055}
url=http://127.0.0.1:$port
readonly MOTO_VERSION=5.2.5

answers() { curl -fs -o /dev/null "$url/moto-api/" 2>/dev/null; }

if answers; then
    echo "$url"
    exit 0
fi
if [[ ! -x $venv/bin/python3 ]]; then
    python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python3" -c 'import moto.server' 2>/dev/null ||
    [[ $("$venv/bin/python3" -c 'import moto; print(moto.__version__)') != "$MOTO_VERSION" ]]; then
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
fi
log=${TMPDIR:-/tmp}/mardom-moto-$port.log
nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
for _ in $(seq 1 100); do
    if answers; then
        echo "$url"
        exit 0
    fi
    sleep 0.2
done
echo "moto did not start on $url:" >&2
cat "$log" >&2
exit 1
