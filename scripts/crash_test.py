#!/usr/bin/env python3
"""Crash test: no accepted request is lost when the server is killed mid-flight.

Starts the built server on a fresh database, submits N online requests at a given concurrency
(each with its own Idempotency-Key, retried with the same key and body on connection errors and
5xx until it gets a final answer), and meanwhile kills the server with SIGKILL K times at seeded
random moments spread over the run, restarting it on the same database each time. Afterwards it
stops the server and checks the database:

  * every tracking code a client was given (every 2xx) is in `requests`, filed for the mobile
    number of that submission;
  * every request has its identity, its first history event (seq 1, `registered`) and its
    `tracking_code_issued` notification, and no number gets that SMS twice; no identity, event
    or notification points at a missing request (orphans);
  * there are exactly as many requests as distinct acknowledged codes, and no mobile number has
    two requests (a retry never files twice: idempotency);
  * every Idempotency-Key is stored with its 201 answer;
  * SQLite: `PRAGMA integrity_check` is `ok` and `PRAGMA foreign_key_check` is empty;
    PostgreSQL: amcheck's `bt_index_check` passes on every index (when amcheck is available).

Prints one summary line and optionally writes the figures as JSON (--report). Exits non-zero on
any lost, orphaned or duplicated request, a failed integrity check, a submission that never got
a 2xx, or fewer kills than asked for.

Python 3 standard library only; PostgreSQL is reached with `psql`. It builds nothing: CI runs
`cargo build --locked` first.

  python3 scripts/crash_test.py --backend sqlite --submissions 500 --kills 5
  python3 scripts/crash_test.py --backend postgres --submissions 10000 --kills 20 --report r.json
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import concurrent.futures
import http.client
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432"
JWT_SECRET = "crash-test-secret-0123456789abcdef0123456789abcdef"
ADMIN_PASSWORD = "crash-test-admin-password"
HIGH_LIMIT = "1000000"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
ATTEMPT_TIMEOUT = 30.0
# A submission that has not been answered after this long is given up (and the run fails).
SUBMISSION_DEADLINE = 600.0

# No proxy for 127.0.0.1, whatever the environment says.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def log(message: str) -> None:
    print(f"[crash-test {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# PostgreSQL through psql


class Postgres:
    def __init__(self, server_url: str):
        parsed = urllib.parse.urlsplit(server_url)
        if parsed.scheme not in ("postgres", "postgresql"):
            raise SystemExit(f"--postgres-url must be postgres://…, not {server_url!r}")
        self.base = parsed._replace(path="", query="", fragment="")

    def url(self, database: str) -> str:
        return urllib.parse.urlunsplit(self.base._replace(path="/" + database))

    def query(self, database: str, sql: str) -> list[tuple[str, ...]]:
        out = subprocess.run(
            ["psql", "-X", "-w", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-F", "\x1f",
             "-d", self.url(database), "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout
        return [tuple(line.split("\x1f")) for line in out.splitlines() if line != ""]


# ---------------------------------------------------------------------------------------------
# The server under test


class Server:
    """The mardom process, started and killed by pid, always on the same database and port."""

    def __init__(self, binary: str, folder: str, env: dict[str, str], base: str):
        self.binary = binary
        self.folder = folder
        self.env = env
        self.base = base
        self.log_path = os.path.join(folder, "server.log")
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> float:
        """Starts the server and waits until /health/ready answers 200; returns the seconds."""
        began = time.monotonic()
        self.starts += 1
        with open(self.log_path, "ab") as out:
            out.write(f"\n===== start {self.starts} =====\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [self.binary], cwd=self.folder, env=self.env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.proc.returncode} before it was ready\n{self.log_tail()}")
            try:
                with OPENER.open(self.base + "/health/ready", timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - began
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() - began > READY_TIMEOUT:
                raise RuntimeError(f"the server was not ready within {READY_TIMEOUT:.0f} s\n{self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> bool:
        """SIGKILL; True when a live server was killed by it."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return False
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait() == -signal.SIGKILL

    def stop(self) -> int | None:
        """SIGTERM, then waits; SIGKILL if it does not stop in time. Returns the exit status."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log(f"the server did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM: killing it")
                proc.kill()
                proc.wait()
        return proc.returncode

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


# ---------------------------------------------------------------------------------------------
# Clients


class Run:
    """Shared state of one run: progress, in-flight count, and what each submission got."""

    def __init__(self, n: int):
        self.lock = threading.Lock()
        self.progress = threading.Condition(self.lock)
        self.answered = 0
        self.in_flight = 0
        self.abort = threading.Event()
        self.results: list[dict | None] = [None] * n
        self.attempts = 0
        self.retries = 0
        self.replayed = 0
        self.key_in_use = 0
        # Answers that were retried, by cause: "connection" or the HTTP status.
        self.retried_by: dict[str, int] = {}

    def begin(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.attempts += 1

    def end(self) -> None:
        with self.lock:
            self.in_flight -= 1


def submission(i: int, run_id: str, mobile: str) -> tuple[str, bytes]:
    body = {
        "name": "شهروند آزمون",
        "mobile": mobile,
        "text": f"درخواست آزمایشی شماره {i} برای آزمون خرابی",
    }
    return f"crash-{run_id}-{i:06d}", json.dumps(body, ensure_ascii=False).encode()


def submit(run: Run, base: str, i: int, key: str, body: bytes, send_key: bool = True) -> None:
    """Submits one request until it is answered for good: 2xx, or a 4xx that is not 'retry'."""
    jitter = random.Random(key)
    started = time.monotonic()
    tries = 0
    last_error = ""
    while not run.abort.is_set():
        tries += 1
        request = urllib.request.Request(
            base + "/api/v1/public/requests", data=body, method="POST",
            headers={"content-type": "application/json", **({"idempotency-key": key} if send_key else {})},
        )
        status, payload, headers = None, b"", {}
        run.begin()
        try:
            with OPENER.open(request, timeout=ATTEMPT_TIMEOUT) as r:
                status, payload, headers = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, headers = e.code, e.headers
            try:
                payload = e.read()
            except (OSError, http.client.HTTPException):
                payload = b""
        except (OSError, http.client.HTTPException) as e:
            last_error = f"{type(e).__name__}: {e}"
        finally:
            run.end()

        retry_after = 0.0
        if status is not None and 200 <= status < 300:
            try:
                code = json.loads(payload)["tracking_code"]
            except (ValueError, KeyError, TypeError):
                code = None
            replayed = (headers.get("Idempotent-Replayed") or "").lower() == "true"
            finish(run, i, {"outcome": "acknowledged" if code else "bad_answer", "status": status,
                            "tracking_code": code, "key": key, "tries": tries, "replayed": replayed,
                            "body": None if code else payload[:500].decode(errors="replace")})
            return
        if status is not None:
            problem = parse_problem(payload)
            last_error = f"HTTP {status} {problem.get('type', '')}"
            if status == 409 and problem.get("type", "").endswith("idempotency-key-in-use"):
                with run.lock:
                    run.key_in_use += 1
            elif status == 429:
                try:
                    retry_after = min(float(headers.get("Retry-After") or 1), 5.0)
                except ValueError:
                    retry_after = 1.0
            elif 400 <= status < 500:
                finish(run, i, {"outcome": "rejected", "status": status, "key": key, "tries": tries,
                                "body": payload[:500].decode(errors="replace")})
                return
        if time.monotonic() - started > SUBMISSION_DEADLINE:
            break
        with run.lock:
            run.retries += 1
            cause = "connection" if status is None else str(status)
            run.retried_by[cause] = run.retried_by.get(cause, 0) + 1
        time.sleep(max(retry_after, jitter.uniform(0.05, 0.2)))
    finish(run, i, {"outcome": "unanswered", "key": key, "tries": tries, "error": last_error})


def parse_problem(payload: bytes) -> dict:
    try:
        value = json.loads(payload)
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def finish(run: Run, i: int, result: dict) -> None:
    with run.progress:
        run.results[i] = result
        run.answered += 1
        if result.get("replayed"):
            run.replayed += 1
        run.progress.notify_all()


# ---------------------------------------------------------------------------------------------
# The killer


def kill_schedule(rng: random.Random, n: int, kills: int, concurrency: int) -> list[int]:
    """K thresholds of answered submissions, one at a random point inside each K-th of the run
    (never at its very edges), so that the kills are spread over the whole run. The run's last
    submissions are left out of the span, so that the last kill still meets a full load."""
    span = n - 2 * concurrency if n > 4 * concurrency else n
    thresholds = []
    for k in range(kills):
        lo = span * (k + 0.1) / kills
        hi = span * (k + 0.9) / kills
        thresholds.append(max(1, min(n - 1, int(rng.uniform(lo, hi)))))
    return sorted(thresholds)


def killer(run: Run, server: Server, schedule: list[int], gap: int, rng: random.Random,
           kills: list[dict], errors: list[str]) -> None:
    """Kills at each threshold of the schedule, but never before `gap` more submissions were
    answered since the last restart: every kill interrupts a server that was serving."""
    since = 0
    for threshold in schedule:
        with run.progress:
            while ((run.answered < threshold or run.answered < since + gap)
                   and run.answered < len(run.results) and not run.abort.is_set()):
                run.progress.wait(timeout=1)
            if run.abort.is_set() or run.answered >= len(run.results):
                return
        # A random moment after the threshold, so that kills land at any point of a request.
        time.sleep(rng.uniform(0, 0.02))
        with run.lock:
            answered, in_flight = run.answered, run.in_flight
        at = time.monotonic()
        killed = server.kill()
        try:
            ready = server.start()
        except RuntimeError as e:
            errors.append(f"restart after kill {len(kills) + 1} failed: {e}")
            run.abort.set()
            return
        with run.lock:
            since = run.answered
        kills.append({"after_answered": answered, "in_flight": in_flight, "killed": killed,
                      "down_seconds": round(time.monotonic() - at, 3), "ready_seconds": round(ready, 3)})
        log(f"kill {len(kills)}/{len(schedule)}: SIGKILL with {in_flight} request(s) in flight "
            f"after {answered} answered; ready again in {ready:.2f} s")


# ---------------------------------------------------------------------------------------------
# Checks


CHECKS = {
    # Requests missing one of the rows written in their transaction.
    "requests_without_identity": """
        SELECT r.tracking_code FROM requests r
        WHERE NOT EXISTS (SELECT 1 FROM request_identities i WHERE i.request_id = r.id)""",
    "requests_without_first_event": """
        SELECT r.tracking_code FROM requests r
        WHERE NOT EXISTS (SELECT 1 FROM request_events e
                          WHERE e.request_id = r.id AND e.seq = 1 AND e.action = 'registered')""",
    "requests_without_notification": """
        SELECT r.tracking_code FROM requests r
        WHERE NOT EXISTS (SELECT 1 FROM notifications n
                          WHERE n.request_id = r.id AND n.template = 'tracking_code_issued')""",
    # Rows pointing at a request that does not exist.
    "orphan_identities": """
        SELECT i.request_id FROM request_identities i
        WHERE NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = i.request_id)""",
    "orphan_events": """
        SELECT e.request_id FROM request_events e
        WHERE NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = e.request_id)""",
    "orphan_notifications": """
        SELECT n.id FROM notifications n
        WHERE n.request_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = n.request_id)""",
}


def inspect(query, integrity) -> dict:
    """Reads everything the verdict needs from the database, with `query(sql) -> rows`."""
    found = {name: [row[0] for row in query(sql)] for name, sql in CHECKS.items()}
    found["requests"] = {code: mobile for code, mobile in query("""
        SELECT r.tracking_code, COALESCE(i.mobile_index, '') FROM requests r
        LEFT JOIN request_identities i ON i.request_id = r.id""")}
    # Each submission has its own request and number: two messages for one request is a
    # duplicated SMS (recipients are sealed, each differently, so they are not compared).
    found["sms_per_recipient"] = [int(c) for (c,) in query("""
        SELECT COUNT(*) FROM notifications WHERE template = 'tracking_code_issued'
        GROUP BY request_id""")]
    found["first_events_per_request"] = [int(c) for (c,) in query("""
        SELECT COUNT(*) FROM request_events WHERE seq = 1 GROUP BY request_id""")]
    found["keys"] = {key: int(status) for key, status in query("""
        SELECT idempotency_key, response_status FROM idempotency_keys WHERE scope = 'public_request'""")}
    found["notifications"] = int(query("SELECT COUNT(*) FROM notifications")[0][0])
    found["pending_notifications"] = int(query(
        "SELECT COUNT(*) FROM notifications WHERE status = 'pending'")[0][0])
    found["integrity"] = integrity()
    return found


def sqlite_integrity(path: str):
    def check() -> str:
        conn = sqlite3.connect(path)
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            conn.close()
        if result != ["ok"]:
            return "; ".join(result[:10])
        if fk:
            return f"foreign_key_check: {len(fk)} violation(s), e.g. {fk[:3]}"
        return "ok"
    return check


def postgres_integrity(pg: Postgres, database: str):
    def check() -> str:
        try:
            pg.query(database, "CREATE EXTENSION IF NOT EXISTS amcheck")
        except subprocess.CalledProcessError as e:
            return f"skipped (amcheck unavailable: {' '.join(e.stderr.split())})"
        try:
            rows = pg.query(database, """
                SELECT c.relname, bt_index_check(c.oid, true)::text
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_am a ON a.oid = c.relam
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE a.amname = 'btree' AND n.nspname = 'public'""")
        except subprocess.CalledProcessError as e:
            return "amcheck: " + e.stderr.strip()
        return "ok" if rows else "skipped (no indexes)"
    return check


def integrity_word(integrity: str) -> str:
    return integrity if integrity == "ok" else "skipped" if integrity.startswith("skipped") else "FAILED"


def e164(mobile: str) -> str:
    return "+98" + mobile[1:]


# The server's keys: identities are sealed at rest, so the database is read by blind index.
IDENTITY_KEYS = "s1:AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
BLIND_INDEX_KEY = "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="


def blind_index(e164_mobile: str) -> str:
    """`vault::Vault::index(Field::Mobile, …)`: HMAC-SHA-256 of `mobile\0<number>`, base64url."""
    mac = hmac.new(base64.b64decode(BLIND_INDEX_KEY), b"mobile\0" + e164_mobile.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def verdict(args, run: Run, found: dict, kills: list[dict], errors: list[str]) -> dict:
    results = [r or {"outcome": "unanswered"} for r in run.results]
    acked = [r for r in results if r["outcome"] == "acknowledged"]
    codes: dict[str, dict] = {}
    duplicate_acks = 0  # two submissions given the same code
    keyed = not args.without_idempotency_key
    for r in acked:
        if r["tracking_code"] in codes:
            duplicate_acks += 1
        codes[r["tracking_code"]] = r
    db = found["requests"]
    lost = sorted(code for code in codes if code not in db)
    mismatched = sorted(code for code, r in codes.items()
                        if code in db and db[code] != blind_index(e164(r["mobile"])))
    extra = sorted(code for code in db if code not in codes)
    mobiles: dict[str, int] = {}
    for mobile in db.values():
        mobiles[mobile] = mobiles.get(mobile, 0) + 1
    duplicated_mobiles = sum(c - 1 for c in mobiles.values() if c > 1)
    duplicates = max(duplicated_mobiles, len(db) - len(codes)) + duplicate_acks
    duplicate_sms = sum(c - 1 for c in found["sms_per_recipient"] if c > 1)
    duplicate_first_events = sum(c - 1 for c in found["first_events_per_request"] if c > 1)
    orphan_names = [name for name in CHECKS]
    orphans = sum(len(found[name]) for name in orphan_names)
    keys_missing = [r["key"] for r in acked if keyed and found["keys"].get(r["key"]) != 201]
    kills_done = sum(1 for k in kills if k["killed"])

    failures = list(errors)
    unanswered = [r for r in results if r["outcome"] != "acknowledged"]
    if unanswered:
        sample = [{k: v for k, v in r.items() if k != "mobile"} for r in unanswered[:5]]
        failures.append(f"{len(unanswered)} submission(s) without a 2xx, e.g. {sample}")
    if lost:
        failures.append(f"{len(lost)} acknowledged tracking code(s) not in the database, e.g. {lost[:5]}")
    if mismatched:
        failures.append(f"{len(mismatched)} code(s) filed for another mobile, e.g. {mismatched[:5]}")
    for name in orphan_names:
        if found[name]:
            failures.append(f"{name}: {len(found[name])}, e.g. {found[name][:5]}")
    if duplicates or extra:
        failures.append(f"duplicates: {duplicates} ({len(db)} requests for {len(codes)} acknowledged codes; "
                        f"{len(extra)} unacknowledged, e.g. {extra[:5]}; {duplicated_mobiles} mobile(s) filed twice; "
                        f"{duplicate_acks} code(s) given to two submissions)")
    if duplicate_sms:
        failures.append(f"{duplicate_sms} duplicated tracking_code_issued notification(s) (a second SMS to one number)")
    if duplicate_first_events:
        failures.append(f"{duplicate_first_events} duplicated first event(s)")
    if keys_missing:
        failures.append(f"{len(keys_missing)} Idempotency-Key(s) without their stored 201, e.g. {keys_missing[:5]}")
    if not (found["integrity"] == "ok" or found["integrity"].startswith("skipped")):
        failures.append(f"integrity: {found['integrity']}")
    if kills_done < args.kills:
        failures.append(f"only {kills_done} of {args.kills} kills happened")

    return {
        "acknowledged": len(acked),
        "distinct_codes": len(codes),
        "requests_in_db": len(db),
        "lost": len(lost),
        "orphans": orphans,
        "orphan_detail": {name: len(found[name]) for name in orphan_names},
        "duplicates": duplicates,
        "duplicate_sms": duplicate_sms,
        "mismatched": len(mismatched),
        "rejected": sum(1 for r in results if r["outcome"] == "rejected"),
        "unanswered": sum(1 for r in results if r["outcome"] in ("unanswered", "bad_answer")),
        "idempotency_keys_stored": sum(1 for r in acked if found["keys"].get(r["key"]) == 201),
        "notifications": found["notifications"],
        "pending_notifications": found["pending_notifications"],
        "integrity": found["integrity"],
        "kills": kills_done,
        "failures": failures,
    }


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default="target/debug/mardom", help="the built server (default: %(default)s)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--submissions", type=int, default=500, metavar="N")
    parser.add_argument("--kills", type=int, default=5, metavar="K")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=None, help="seeds the kill schedule and the numbers (default: random, printed)")
    parser.add_argument("--postgres-url", default=os.environ.get("MARDOM_CRASH_POSTGRES_URL", DEFAULT_PG_URL),
                        help="server to create the test database on (default: $MARDOM_CRASH_POSTGRES_URL or %(default)s)")
    parser.add_argument("--report", metavar="PATH", help="write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and the PostgreSQL database")
    parser.add_argument("--without-idempotency-key", action="store_true",
                        help="control run: retry without Idempotency-Key, to see the checks catch the duplicates "
                             "(expected to fail)")
    args = parser.parse_args()
    if args.submissions < 1 or args.kills < 0 or args.concurrency < 1:
        parser.error("--submissions and --concurrency must be positive, --kills not negative")
    if args.submissions > 10_000_000:
        parser.error("--submissions: at most 10,000,000 (one mobile number each)")

    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        print(f"crash-test: {binary} is not an executable: run cargo build --locked first", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    rng = random.Random(seed)
    run_id = f"{seed:x}-{random.SystemRandom().randrange(16**8):08x}"
    log(f"backend={args.backend} submissions={args.submissions} kills={args.kills} "
        f"concurrency={args.concurrency} seed={seed}")

    folder = tempfile.mkdtemp(prefix="mardom-crash-")
    pg = Postgres(args.postgres_url) if args.backend == "postgres" else None
    database = None
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARDOM_") and k != "DATABASE_URL"}
    env.update({
        "MARDOM_BIND": f"127.0.0.1:{port}",
        "MARDOM_JWT_SECRET": JWT_SECRET,
        "MARDOM_IDENTITY_KEYS": IDENTITY_KEYS,
        "MARDOM_BLIND_INDEX_KEY": BLIND_INDEX_KEY,
        "MARDOM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "MARDOM_DISPATCHER": "off",
        "MARDOM_SUBMISSIONS_PER_CLIENT_HOUR": HIGH_LIMIT,
        "MARDOM_SUBMISSIONS_PER_MOBILE_DAY": HIGH_LIMIT,
        "MARDOM_MEETING_REQUESTS_PER_MOBILE": HIGH_LIMIT,
        "MARDOM_LOOKUPS_PER_CLIENT_MINUTE": HIGH_LIMIT,
        "RUST_LOG": "warn",
    })
    if pg:
        database = f"mardom_crash_{random.SystemRandom().randrange(16**10):010x}"
        pg.query("postgres", f"CREATE DATABASE {database}")
        env["DATABASE_URL"] = pg.url(database)
        log(f"database {database} on {args.postgres_url}")
    else:
        sqlite_path = os.path.join(folder, "mardom.db")
        env["DATABASE_URL"] = f"sqlite://{sqlite_path}"

    server = Server(binary, folder, env, base)
    run = Run(args.submissions)
    kills: list[dict] = []
    errors: list[str] = []
    summary = None
    began = time.monotonic()
    try:
        first_ready = server.start()
        log(f"server ready in {first_ready:.2f} s on {base} (log: {server.log_path})")

        # Distinct mobile numbers: 0912 and 7 digits, from a seeded offset.
        offset = rng.randrange(10**7 - args.submissions + 1)
        work = []
        for i in range(args.submissions):
            mobile = f"0912{offset + i:07d}"
            key, body = submission(i, run_id, mobile)
            work.append((i, key, body, mobile))
        schedule = kill_schedule(rng, args.submissions, args.kills, args.concurrency)
        gap = max(1, min(args.concurrency, args.submissions // (4 * max(1, args.kills))))

        killer_thread = threading.Thread(
            target=killer, args=(run, server, schedule, gap, random.Random(rng.random()), kills, errors),
            daemon=True)
        killer_thread.start()
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            send_key = not args.without_idempotency_key
            futures = [pool.submit(submit, run, base, i, key, body, send_key) for i, key, body, _ in work]
            last_report = time.monotonic()
            for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
                future.result()
                if time.monotonic() - last_report >= 30:
                    last_report = time.monotonic()
                    log(f"{done}/{args.submissions} answered, {len(kills)} kill(s), "
                        f"{done / (last_report - began):.1f}/s")
        for i, _, _, mobile in work:
            run.results[i]["mobile"] = mobile
        with run.progress:
            run.progress.notify_all()
        killer_thread.join(timeout=READY_TIMEOUT + 10)
        submit_seconds = time.monotonic() - began

        status = server.stop()
        log(f"server stopped (exit status {status})")

        if pg:
            found = inspect(lambda sql: pg.query(database, sql), postgres_integrity(pg, database))
        else:
            conn = sqlite3.connect(sqlite_path)
            try:
                found = inspect(lambda sql: conn.execute(sql).fetchall(), sqlite_integrity(sqlite_path))
            finally:
                conn.close()
        figures = verdict(args, run, found, kills, errors)
        seconds = time.monotonic() - began
        figures.update({
            "backend": args.backend,
            "submissions": args.submissions,
            "kills_requested": args.kills,
            "concurrency": args.concurrency,
            "idempotency_key_sent": not args.without_idempotency_key,
            "seed": seed,
            "seconds": round(seconds, 1),
            "submit_seconds": round(submit_seconds, 1),
            "submissions_per_second": round(args.submissions / submit_seconds, 1),
            "attempts": run.attempts,
            "retries": run.retries,
            "replayed": run.replayed,
            "key_in_use_409": run.key_in_use,
            "retried_by_cause": dict(sorted(run.retried_by.items())),
            "kill_detail": kills,
            "server_exit_status": status,
        })
        summary = (f"crash-test backend={args.backend} submissions={args.submissions} "
                   f"acknowledged={figures['acknowledged']} kills={figures['kills']} lost={figures['lost']} "
                   f"orphans={figures['orphans']} duplicates={figures['duplicates']} "
                   f"integrity={integrity_word(figures['integrity'])} seconds={seconds:.1f} "
                   f"(retries={run.retries} replayed={run.replayed} duplicate_sms={figures['duplicate_sms']} "
                   f"rate={figures['submissions_per_second']}/s seed={seed})")
    except KeyboardInterrupt:
        log("interrupted")
        figures = {"failures": ["interrupted"]}
    except Exception as e:  # noqa: BLE001 - reported as the run's failure, then cleaned up
        detail = e.stderr if isinstance(e, subprocess.CalledProcessError) else ""
        if not isinstance(e, (RuntimeError, subprocess.CalledProcessError, sqlite3.Error)):
            detail = traceback.format_exc()
        figures = {"failures": [f"{type(e).__name__}: {e} {detail}".strip()]}
    finally:
        run.abort.set()
        with run.progress:
            run.progress.notify_all()
        server.stop()

    failed = bool(figures["failures"])
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(figures, f, ensure_ascii=False, indent=2)
            f.write("\n")
    if summary:
        print(summary, flush=True)
    for failure in figures["failures"]:
        print(f"crash-test FAILED: {failure}", file=sys.stderr)
    if failed:
        print(f"crash-test: server log tail ({server.log_path}):\n{server.log_tail()}", file=sys.stderr)

    if pg and database and not args.keep:
        try:
            pg.query("postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        except subprocess.CalledProcessError as e:
            log(f"could not drop {database}: {e.stderr.strip()}")
    elif database:
        log(f"kept database {pg.url(database)}")
    if args.keep or (failed and not pg):
        log(f"kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
