#!/usr/bin/env python3
"""Does a flood of sign-ins slow everyone else down? (RELIABILITY.md, "Sign-in cannot stall")

Against a running server (started with the sign-in per-address and lookup limits off, so that
every sign-in of the flood really is hashed and every lookup really is answered):

1. files one request and measures public lookups of its tracking code, one at a time, for
   --seconds: the idle latencies;
2. starts --flood threads (in a process of their own), each signing in again and again with a
   random username and password (every one a failure that costs a password hash), and measures
   the lookups again beside them;
3. does this --rounds times, interleaved, prints each distribution, and exits non-zero when the
   median of the flooded p99s is more than --max-ratio times the median of the idle ones, or
   when the flood got no 401 (then it did not exercise the password check).

Python standard library only. Usage: sign_in_flood.py BASE_URL [--flood 64] [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import http.client
import json
import random
import statistics
import string
import sys
import threading
import time
import urllib.parse


def connection(base: str) -> http.client.HTTPConnection:
    parsed = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)


def call(conn: http.client.HTTPConnection, method: str, path: str, body: dict | None = None):
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def file_request(base: str) -> str:
    conn = connection(base)
    status, body = call(conn, "POST", "/api/v1/public/requests", {
        "name": "مریم احمدی", "mobile": "09121234567",
        "text": "درخواست رسیدگی به وضعیت پرونده درمانی پدرم در بخش قلب",
    })
    if status != 201:
        raise SystemExit(f"could not file a request: {status} {body[:300]!r}")
    return json.loads(body)["tracking_code"]


def lookups(base: str, code: str, seconds: float) -> list[float]:
    """Sequential lookups for `seconds`; their latencies in milliseconds."""
    conn = connection(base)
    path = f"/api/v1/public/requests/{code}"
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        began = time.perf_counter()
        status, body = call(conn, "GET", path)
        latencies.append((time.perf_counter() - began) * 1000)
        if status != 200:
            raise SystemExit(f"a lookup failed: {status} {body[:300]!r}")
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def describe(name: str, latencies: list[float]) -> str:
    return (f"{name}: n={len(latencies)} p50={percentile(latencies, 0.50):.2f} ms "
            f"p99={percentile(latencies, 0.99):.2f} ms max={max(latencies):.2f} ms")


def flood_process(base: str, threads: int, stop, answers) -> None:
    """The flood, in its own process so that its threads never hold the measuring one's GIL."""
    counts: dict[int, int] = {}
    lock = threading.Lock()
    inner = threading.Event()
    workers = [threading.Thread(target=flood, args=(base, inner, counts, lock), daemon=True)
               for _ in range(threads)]
    for worker in workers:
        worker.start()
    stop.wait()
    inner.set()
    for worker in workers:
        worker.join(timeout=30)
    answers.update(counts)


def flood(base: str, stop: threading.Event, answers: dict[int, int], lock: threading.Lock):
    conn = connection(base)
    rng = random.Random()
    while not stop.is_set():
        name = "u" + "".join(rng.choices(string.ascii_lowercase, k=10))
        try:
            status, _ = call(conn, "POST", "/api/v1/auth/token",
                             {"username": name, "password": "wrong-password-" + name})
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = connection(base)
            status = 0
        with lock:
            answers[status] = answers.get(status, 0) + 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--flood", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-ratio", type=float, default=3.0)
    args = parser.parse_args()

    code = file_request(args.base)
    lookups(args.base, code, 1.0)  # warm up
    idle_p99s, flooded_p99s = [], []
    answers: dict[int, int] = {}
    for round_ in range(1, args.rounds + 1):
        idle = lookups(args.base, code, args.seconds)
        flooded, counts = beside_a_flood(args, code)
        for status, n in counts.items():
            answers[status] = answers.get(status, 0) + n
        idle_p99s.append(percentile(idle, 0.99))
        flooded_p99s.append(percentile(flooded, 0.99))
        print(f"round {round_}: " + describe("idle", idle))
        print(f"round {round_}: " + describe(f"beside {args.flood} concurrent sign-ins", flooded))
    ratio = statistics.median(flooded_p99s) / statistics.median(idle_p99s)
    print(f"sign-in answers during the floods: {dict(sorted(answers.items()))}")
    print(f"median p99: idle {statistics.median(idle_p99s):.2f} ms, beside the flood "
          f"{statistics.median(flooded_p99s):.2f} ms; ratio {ratio:.2f} (at most {args.max_ratio})")
    if not answers.get(401):
        print("the flood got no 401: it did not exercise the password check", file=sys.stderr)
        return 1
    return 0 if ratio <= args.max_ratio else 1


def beside_a_flood(args, code: str) -> tuple[list[float], dict[int, int]]:
    manager = multiprocessing.Manager()
    stop, shared = manager.Event(), manager.dict()
    flooding = multiprocessing.Process(target=flood_process, args=(args.base, args.flood, stop, shared))
    flooding.start()
    time.sleep(1.0)  # let the flood fill the queue
    flooded = lookups(args.base, code, args.seconds)
    stop.set()
    flooding.join(timeout=60)
    counts = dict(shared)
    manager.shutdown()
    return flooded, counts


if __name__ == "__main__":
    sys.exit(main())
