"""`make bench`: the peer comparison with DTQ slotted in, then the HTTP, latency, memory and
scaling benchmarks. Prints each figure line and writes everything to .bench/results.json.

    python -m bench.run [--quick] [--skip-peers]

--quick: 5000 jobs, 1 round, peers limited to taskiq and the plain-streams baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench.peers import PEERS_DIR, REPO

OUT = REPO / ".bench"


def step(title: str, cmd: list[str], timeout_s: float) -> str:
    """Run one benchmark command, echo its output, return its stdout."""
    print(f"\n== {title}: {' '.join(cmd)}", flush=True)
    started = time.monotonic()
    out = subprocess.run(
        cmd,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"{title} failed with exit code {out.returncode}")
    print(out.stdout.rstrip(), f"\n({time.monotonic() - started:.0f} s)", flush=True)
    return out.stdout


def compare(args: argparse.Namespace) -> dict[str, object]:
    """The shared peers' compare.py with DTQ as --extra (its own redis-server, same run)."""
    jobs, rounds = ("5000", "1") if args.quick else (str(args.jobs), str(args.rounds))
    cmd = [
        "bash",
        str(PEERS_DIR / "run_all.sh"),
        "--jobs",
        jobs,
        "--rounds",
        rounds,
        "--extra",
        f"{sys.executable} -m bench.throughput",
        "--json-out",
        str(OUT / "compare.json"),
        "--md-out",
        str(OUT / "compare.md"),
    ]
    if args.quick:
        cmd += ["--peers", "taskiq,baseline_streams"]
    step("peer comparison", cmd, 3600)
    return dict(json.loads((OUT / "compare.json").read_text()))


def main() -> None:
    """Run everything, print, save."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--skip-peers", action="store_true")
    p.add_argument("--jobs", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    OUT.mkdir(exist_ok=True)
    results: dict[str, object] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if not args.skip_peers:
        results["compare"] = compare(args)
    py = sys.executable
    seconds = "2" if args.quick else "5"
    for name, cmd in {
        "http": [py, "-m", "bench.http", "--json", "--seconds", seconds],
        "latency": [py, "-m", "bench.latency", "--json", "--seconds", seconds],
        "memory": [py, "-m", "bench.memory", "--json"] + (["--jobs", "5000"] if args.quick else []),
        "scaling": [py, "-m", "bench.scaling", "--json"]
        + (["--jobs", "3000"] if args.quick else []),
        "batch": [py, "-m", "bench.batch", "--json"],
    }.items():
        results[name] = json.loads(step(name, cmd, 1800).strip().splitlines()[-1])
    cluster = step(
        "cluster", [py, "-m", "bench.cluster", "--jobs", "3000" if args.quick else "5000"], 1800
    )
    results["cluster"] = [json.loads(line) for line in cluster.splitlines() if line.startswith("{")]
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nall figures written to {OUT / 'results.json'}")


if __name__ == "__main__":
    main()
