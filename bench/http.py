"""HTTP benchmark: POST /jobs through one uvicorn process vs a bare FastAPI constant endpoint.

    python -m bench.http [--seconds 5] [--connections 32] [--rounds 3]

Both servers run as separate uvicorn processes (same flags), driven by the same generator
(bench/httpload.py, closed loop) in interleaved rounds; medians are printed in one line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.httpload import closed_loop, request_bytes
from runtime.localserver import LocalServer, free_port

BODY = json.dumps({"task_type": "noop", "payload": {"n": 1}}).encode()


def start_uvicorn(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """One uvicorn process (uvloop + httptools, no access log); waits until it answers."""
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/docs", timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{app} did not start")


def run(args: argparse.Namespace) -> dict[str, float]:
    """Interleaved rounds against both servers; median figures."""
    with tempfile.TemporaryDirectory() as folder:
        server = LocalServer(Path(folder), appendonly=False).start()
        env = dict(os.environ, REDIS_URL=server.url, LOG_LEVEL="WARNING", UI_DIST_DIR="/none")
        ports = {"dtq": free_port(), "bare": free_port()}
        procs = {
            "dtq": start_uvicorn("runtime.api.main:app", ports["dtq"], env),
            "bare": start_uvicorn("bench.bare_app:app", ports["bare"], env),
        }
        rps: dict[str, list[float]] = {"dtq": [], "bare": []}
        p50: list[float] = []
        p99: list[float] = []
        try:
            payload = request_bytes("/jobs", BODY)
            for _ in range(args.rounds):
                for name in ("bare", "dtq"):
                    r = asyncio.run(
                        closed_loop(ports[name], payload, args.connections, args.seconds)
                    )
                    if name == "dtq":
                        bad = sum(n for s, n in r.statuses.items() if s != 201)
                        if bad or r.errors:
                            raise RuntimeError(f"POST /jobs failed: {r.statuses} errors={r.errors}")
                        p50.append(r.percentile(0.5))
                        p99.append(r.percentile(0.99))
                    rps[name].append(r.rps)
        finally:
            for p in procs.values():
                p.terminate()
                p.wait(20)
            server.stop()
    dtq, bare = statistics.median(rps["dtq"]), statistics.median(rps["bare"])
    return {
        "post_jobs_rps": round(dtq),
        "bare_rps": round(bare),
        "ratio": round(dtq / bare, 3),
        "p50_ms": round(statistics.median(p50), 2),
        "p99_ms": round(statistics.median(p99), 2),
        "connections": args.connections,
    }


def main() -> None:
    """Print one line of figures (and the JSON with --json)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args()
    figures = run(args)
    print(
        json.dumps(figures)
        if args.json
        else "HTTP " + " ".join(f"{k}={v}" for k, v in figures.items()),
        flush=True,
    )


if __name__ == "__main__":
    main()
