"""Scaling benchmark: drain rate with 1 and 2 worker processes and WORKER_CONCURRENCY 1, 10, 100.

    python -m bench.scaling [--jobs 10000]

Each configuration is one run of bench.throughput (the peer contract) on a fresh local server.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench.stack import server

CONFIGS = [(1, 1), (1, 10), (1, 100), (2, 100)]  # (worker processes, concurrency each)


def run_one(url: str, jobs: int, workers: int, concurrency: int) -> dict[str, object]:
    """One bench.throughput run; its JSON line."""
    cmd = [
        sys.executable,
        "-m",
        "bench.throughput",
        "--redis-url",
        url,
        "--jobs",
        str(jobs),
        "--workers",
        str(workers),
        "--concurrency",
        str(concurrency),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=900)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Print one line per configuration."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=10_000)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    rows = []
    for workers, concurrency in CONFIGS:
        with server() as srv:
            r = run_one(srv.url, args.jobs, workers, concurrency)
        row = {
            "workers": workers,
            "concurrency": concurrency,
            "process_per_s": r["process_per_s"],
            "worker_cpu_util": r.get("worker_cpu_util"),
            "redis_cpu_us_per_job": r.get("redis_cpu_us_per_job"),
        }
        rows.append(row)
        if not args.json:
            print("SCALING " + " ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
