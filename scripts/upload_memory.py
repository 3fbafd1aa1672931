#!/usr/bin/env python3
"""Is a huge upload refused at the limit without the server's memory growing? (RELIABILITY.md,
"A 2 GB upload is refused at the limit")

Starts the built server (target/debug/mardom unless --binary) on SQLite in a temporary folder,
lets it settle, then for each --store (database; s3 when --s3-url names an S3 server):

1. warms it up (a small upload and a submission) and reads its idle resident memory (VmRSS);
2. resets the kernel's peak counter (/proc/PID/clear_refs, 5) and sends one upload announcing
   --size bytes (2 GiB): a PDF header, then spaces, written in 1 MiB pieces as fast as the
   socket takes them, while a thread samples VmRSS every 5 ms;
3. stops sending when the answer arrives (or the server closes the connection) and records the
   status, the bytes sent before it, the time, and the peak (VmHWM and the sampled maximum).

Fails unless every answer is 413 and the peak stays within --max-growth MiB (64) above idle.
Python standard library only. Usage: upload_memory.py [--size BYTES] [--s3-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

MIB = 1024 * 1024
PORT = 18092
BOUNDARY = "mardom-memory-test-boundary"
PDF_HEAD = b"%PDF-1.7\n"


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def wait_ready(proc: subprocess.Popen, log: str) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            sys.exit(f"the server exited:\n{open(log).read()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/health/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("the server did not become ready")


def small_calls() -> None:
    """A small upload and a submission with it: the paths the big upload takes, warmed."""
    body = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n".encode()
        + PDF_HEAD + b"1 0 obj\n<<>>\nendobj\n%%EOF\n" + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    conn.request("POST", "/api/v1/public/uploads", body, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    reply = conn.getresponse()
    upload = json.loads(reply.read())
    assert reply.status == 201, upload
    submission = {
        "name": "مریم حسینی", "mobile": "09121234567", "attachments": [upload["id"]],
        "text": "درخواست آزمایشی برای اندازه‌گیری حافظه هنگام بارگذاری",
    }
    conn.request("POST", "/api/v1/public/requests", json.dumps(submission), {"Content-Type": "application/json"})
    reply = conn.getresponse()
    assert reply.status == 201, reply.read()
    reply.read()


def huge_upload(pid: int, size: int) -> dict:
    """Sends one upload announcing `size` bytes; returns what happened."""
    head = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.pdf\"\r\n\r\n".encode() + PDF_HEAD
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + size + len(tail)
    sock = socket.create_connection(("127.0.0.1", PORT))
    sock.sendall(
        (f"POST /api/v1/public/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
         f"Content-Length: {length}\r\n\r\n").encode() + head
    )
    samples = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_kib(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    piece = b" " * MIB
    sent, answer, started = len(head), b"", time.monotonic()
    try:
        while sent < length - len(tail):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            sock.sendall(piece)
            sent += len(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.settimeout(10)
    try:
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    elapsed = time.monotonic() - started
    done.set()
    sampler.join()
    sock.close()
    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    return {
        "status": int(status_line.split()[1]) if status_line.startswith("HTTP/") else None,
        "status_line": status_line,
        "announced_bytes": length,
        "sent_before_answer_mib": round(sent / MIB, 1),
        "seconds": round(elapsed, 2),
        "sampled_peak_kib": max(samples) if samples else None,
    }


def measure(binary: str, store: str, env_extra: dict, size: int) -> dict:
    folder = tempfile.mkdtemp(prefix="mardom-upload-memory-")
    log = os.path.join(folder, "server.log")
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": "sqlite://data/mardom.db", "MARDOM_BIND": f"127.0.0.1:{PORT}",
        "MARDOM_ADMIN_PASSWORD": "memory-test-admin", "MARDOM_DISPATCHER": "off",
        "MARDOM_UPLOADS_PER_CLIENT_HOUR": "off", "RUST_LOG": "warn",
    })
    env.update(env_extra)
    with open(log, "w") as out:
        proc = subprocess.Popen([os.path.abspath(binary)], cwd=folder, env=env, stdout=out, stderr=out)
    try:
        wait_ready(proc, log)
        small_calls()
        time.sleep(1)
        idle = rss_kib(proc.pid)
        with open(f"/proc/{proc.pid}/clear_refs", "w") as refs:
            refs.write("5")
        result = huge_upload(proc.pid, size)
        result["peak_kib"] = rss_kib(proc.pid, "VmHWM")
        result["idle_kib"] = idle
        result["growth_mib"] = round((max(result["peak_kib"], result["sampled_peak_kib"] or 0) - idle) / 1024, 1)
        result["after_kib"] = rss_kib(proc.pid)
        result["store"] = store
        # The server still answers afterwards.
        small_calls()
        return result
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default="target/debug/mardom")
    parser.add_argument("--size", type=int, default=2 * 1024 * MIB)
    parser.add_argument("--max-growth", type=float, default=64.0, help="MiB above idle")
    parser.add_argument("--s3-url", help="an S3-compatible server (moto) for the s3 store too")
    args = parser.parse_args()
    stores = [("database", {})]
    if args.s3_url:
        bucket = f"mardom-memory-{uuid.uuid4().hex[:12]}"
        host = args.s3_url.split("//", 1)[1]
        conn = http.client.HTTPConnection(host, timeout=10)
        conn.request("PUT", f"/{bucket}")
        assert conn.getresponse().status == 200
        stores.append(("s3", {
            "MARDOM_FILE_STORE": "s3", "MARDOM_S3_ENDPOINT": args.s3_url, "MARDOM_S3_BUCKET": bucket,
            "MARDOM_S3_ACCESS_KEY_ID": "test", "MARDOM_S3_SECRET_ACCESS_KEY": "test",
        }))
    failures = []
    for store, env in stores:
        result = measure(args.binary, store, env, args.size)
        print(json.dumps(result))
        if result["status"] != 413:
            failures.append(f"{store}: answered {result['status_line']!r}, not 413")
        if result["growth_mib"] > args.max_growth:
            failures.append(f"{store}: memory grew {result['growth_mib']} MiB (limit {args.max_growth})")
    if failures:
        sys.exit("\n".join(failures))
    print(f"ok: every upload of {args.size / MIB:.0f} MiB refused with 413 within {args.max_growth} MiB of idle")


if __name__ == "__main__":
    main()
