#!/usr/bin/env python3
"""Where the public lookup's p99 comes from: the lookup load under variations that each remove
one suspect, interleaved in rounds, beside pgbench on the same statement in the same round.

    python3 bench/tail.py --binary target/release/mardom --database-url 'postgres://…/db?sslmode=disable'

The database must hold a dataset (scripts/dataset.py) and the `bench_codes` table bench/bench.py
makes (this script makes it when missing). Variants, each a fresh server:

  plain        as bench/run measures it: the per-request log line on, no pinning
  quiet        RUST_LOG=warn: no per-request log line
  pinned       the server on core 0, wrk on core 1 (PostgreSQL and pgbench float)
  after-writes a submit load of the same length first (what bench/run's rounds do), then lookups
  checkpoint   the same submit load, then CHECKPOINT, then lookups: the WAL the writes left is
               flushed before the lookups, so no checkpoint runs under them
  poolN        MARDOM_DB_POOL_SIZE=N (10 otherwise): N connections and database threads

For each: req/s, p50, p99 and max of wrk, and, when the binary exposes them, the p99 of each
database stage (`mardom_db_stage_seconds`: queue, work, resume) from /metrics over the load.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402


def stage_buckets():
    """Cumulative bucket counts of each database stage, from /metrics."""
    try:
        text = urllib.request.urlopen(f"{bench.BASE}/metrics", timeout=5).read().decode()
    except OSError:
        return {}
    stages = {}
    for line in text.splitlines():
        if line.startswith("mardom_db_stage_seconds_bucket"):
            labels, value = line.rsplit(" ", 1)
            stage = labels.split('stage="')[1].split('"')[0]
            le = labels.split('le="')[1].split('"')[0]
            stages.setdefault(stage, {})[float("inf") if le == "+Inf" else float(le)] = float(value)
    return stages


def stage_p99(before, after):
    """The bucket bound under which 99 % of each stage's observations fell during the load, ms."""
    out = {}
    for stage, buckets in after.items():
        counts = {le: n - before.get(stage, {}).get(le, 0) for le, n in buckets.items()}
        total = counts.get(float("inf"), 0)
        if total:
            out[stage] = next(le for le in sorted(counts) if counts[le] >= 0.99 * total) * 1000
    return out


def lookup(args, codes_file, pin=None):
    cmd = ["taskset", "-c", pin] if pin else []
    before = stage_buckets()
    os.environ["BENCH_CODES"] = str(codes_file)
    if cmd:
        out = bench.run(cmd + ["wrk", "-t", "2", "-c", "32", "-d", f"{args.seconds}s", "--timeout", "10s",
                               "-s", str(bench.BENCH / "wrk" / "lookup.lua"), bench.BASE + "/"]).stdout
        line = next(l for l in out.splitlines() if l.startswith("WRK_RESULT "))
        result = json.loads(line.removeprefix("WRK_RESULT "))
    else:
        result = bench.wrk("lookup.lua", "/", 32, args.seconds, env={"BENCH_CODES": str(codes_file)})
    result["stages_p99_ms"] = stage_p99(before, stage_buckets())
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(bench.BINARY),
                        help="the server binary; several, comma-separated, take turns within each round")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--variants", default="plain,quiet,pinned,after-writes,checkpoint")
    parser.add_argument("--out", default=str(bench.OUT / "tail.json"))
    args = parser.parse_args()
    binaries = [Path(b) for b in args.binary.split(",")]
    bench.OUT.mkdir(parents=True, exist_ok=True)
    server_url, db_name = args.database_url.split("?")[0].rsplit("/", 1)
    db = bench.Postgres(server_url, db_name)
    db.db, db.url = db_name, args.database_url
    codes = db.sample_codes(10_000)
    codes_file = bench.OUT / "codes-tail.txt"
    codes_file.write_text("\n".join(codes) + "\n")
    results = {f"{b.name} {v}": [] for v in args.variants.split(",") for b in binaries}
    for r in range(args.rounds):
        for key in results:
            name, variant = key.split(" ")
            bench.BINARY = next(b for b in binaries if b.name == name)
            extra = {"RUST_LOG": "warn"} if variant == "quiet" else {}
            if variant.startswith("pool"):
                extra["MARDOM_DB_POOL_SIZE"] = variant.removeprefix("pool")
            server = bench.Server(args.database_url, bench.OUT / f"server-tail-{variant}.log", extra_env=extra,
                                  pin="0" if variant == "pinned" else None)
            try:
                if variant in ("after-writes", "checkpoint"):
                    bench.wrk("submit.lua", "/api/v1/public/requests", 8, args.seconds,
                              env={"BENCH_RUN": str(7_000_000 + r * 100 + len(results) + list(results).index(key))})
                    if variant == "checkpoint":
                        db.psql("CHECKPOINT")
                db.analyze()
                result = lookup(args, codes_file, pin="1" if variant == "pinned" else None)
                result["pgbench"] = bench.pgbench(db.url, bench.BENCH / "sql" / "lookup.pgbench.sql", 32,
                                                  args.seconds, [f"codes={len(codes)}"])
            finally:
                server.stop()
            results[key].append(result)
            bench.log(f"round {r + 1} {key}: {result['rps']:.0f}/s p50 {result['p50_ms']:.2f} "
                      f"p99 {result['p99_ms']:.2f} max {result['max_ms']:.0f} ms; stages p99 "
                      f"{result['stages_p99_ms']}; pgbench p99 {result['pgbench']['p99_ms']:.2f} ms")
    Path(args.out).write_text(json.dumps(results, indent=1))
    print("| server, variant | req/s | p50 ms | p99 ms | max ms | pgbench p99 ms | stage p99 ms (queue / work / resume) |")
    print("|---|---|---|---|---|---|---|")
    for variant, rounds in results.items():
        med = lambda key: statistics.median(x[key] for x in rounds)
        stages = [statistics.median(x["stages_p99_ms"].get(s, 0) for x in rounds) for s in ("queue", "work", "resume")]
        stage_text = " / ".join(f"{s:g}" for s in stages) if any(stages) else "—"
        print(f"| {variant} | {med('rps'):,.0f} | {med('p50_ms'):.2f} | {med('p99_ms'):.2f} | {med('max_ms'):.0f} | "
              f"{statistics.median(x['pgbench']['p99_ms'] for x in rounds):.2f} | {stage_text} |")


if __name__ == "__main__":
    main()
