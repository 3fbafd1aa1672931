#!/usr/bin/env python3
"""How long a one-time code takes from `POST /api/v1/public/otp` to the SMS provider receiving
it: a measurement, not a test (issue 18 asks for it). Starts a fake provider (the `http`
gateway's protocol) and the built server on SQLite in a fresh folder, asks for N codes one after
another, each for its own number, and times each from the request to the provider's receipt.

Two arrangements: the dispatcher inside `serve` (woken at once by the request), and
`MARDOM_DISPATCHER=off` with a separate `mardom worker` (nothing wakes it: its next pass, a
second at most). Prints p50, p90 and max per arrangement.

Usage: scripts/otp_latency.py [--binary target/release/mardom] [-n 50]
"""

import argparse
import http.client
import http.server
import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Provider(http.server.BaseHTTPRequestHandler):
    """Accepts every SMS and notes when the one to each number arrived."""

    arrived: dict[str, float] = {}
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (the http.server API)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with Provider.lock:
            Provider.arrived.setdefault(body["to"], time.monotonic())
        answer = json.dumps({"id": "fake-" + body["id"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):  # noqa: N802 — the status lookup: "queued"
        answer = b'{"status": "queued"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_):
        pass


def wait_ready(port: int, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("the server stopped during start")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not become ready")


def measure(binary: str, n: int, separate_worker: bool, provider_port: int) -> list[float]:
    folder = tempfile.mkdtemp(prefix="otp-latency-")
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL="sqlite://data/mardom.db",
        MARDOM_BIND=f"127.0.0.1:{port}",
        MARDOM_JWT_SECRET="otp-latency-secret-0123456789abcdef0123456789",
        MARDOM_ADMIN_PASSWORD="otp-latency-admin",
        MARDOM_SMS_PROVIDER="http",
        MARDOM_SMS_HTTP_URL=f"http://127.0.0.1:{provider_port}/sms",
        MARDOM_CODES_PER_MOBILE_HOUR="off",
        MARDOM_CODES_PER_CLIENT_HOUR="off",
        MARDOM_SMS_PER_MOBILE_HOUR="0",
        RUST_LOG="warn",
    )
    if separate_worker:
        env["MARDOM_DISPATCHER"] = "off"
    server = subprocess.Popen([binary], cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        wait_ready(port, server)
        if separate_worker:
            worker = subprocess.Popen([binary, "worker"], cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2)
        latencies = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for i in range(n):
            number = f"+98935{(1_000_000 + i) if not separate_worker else (2_000_000 + i):07d}"
            body = json.dumps({"mobile": number})
            started = time.monotonic()
            conn.request("POST", "/api/v1/public/otp", body, {"Content-Type": "application/json"})
            reply = conn.getresponse()
            reply.read()
            if reply.status != 202:
                raise SystemExit(f"POST /public/otp answered {reply.status}")
            while True:
                with Provider.lock:
                    arrived = Provider.arrived.get(number)
                if arrived is not None:
                    break
                if time.monotonic() - started > 10:
                    raise SystemExit(f"no SMS for {number} within 10 s")
                time.sleep(0.001)
            latencies.append((arrived - started) * 1000)
        return latencies
    finally:
        for process in (worker, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def describe(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return (
        f"{name}: n={len(values)} p50={statistics.median(values):.1f} ms "
        f"p90={p90:.1f} ms max={max(values):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/debug/mardom")
    parser.add_argument("-n", type=int, default=50)
    args = parser.parse_args()
    provider_port = free_port()
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", provider_port), Provider)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    binary = os.path.abspath(args.binary)
    print(describe("dispatcher in serve (woken)", measure(binary, args.n, False, provider_port)))
    print(describe("separate worker (polls each second)", measure(binary, args.n, True, provider_port)))


if __name__ == "__main__":
    main()
