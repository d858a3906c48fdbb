"""`make load`: start a local stack (server, API, worker) and run the Locust mix headless against
it with a bounded user count and duration; prints requests/s, failures and p50/p95/p99.

    python -m bench.load [--users 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.peers import REPO
from bench.stack import server, workers
from runtime.localserver import free_port


def main() -> None:
    """Run Locust against a fresh stack and summarise its CSV."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--seconds", type=int, default=60)
    args = p.parse_args()
    port = free_port()
    with server() as srv, workers(srv.url, 1), tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, REDIS_URL=srv.url, LOG_LEVEL="WARNING", UI_DIST_DIR="/none")
        api = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "runtime.api.main:app",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        try:
            prefix = Path(folder) / "load"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(REPO / "tests/load/locustfile.py"),
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    str(max(1, args.users // 5)),
                    "-t",
                    f"{args.seconds}s",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--csv",
                    str(prefix),
                    "--only-summary",
                ],
                check=False,
                timeout=args.seconds + 120,
            )
            with open(f"{prefix}_stats.csv") as f:
                total = next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")
        finally:
            api.terminate()
            api.wait(30)
    print(
        "LOAD "
        + " ".join(
            [
                f"users={args.users}",
                f"seconds={args.seconds}",
                f"requests={total['Request Count']}",
                f"failures={total['Failure Count']}",
                f"rps={float(total['Requests/s']):.1f}",
                f"p50_ms={total['50%']}",
                f"p95_ms={total['95%']}",
                f"p99_ms={total['99%']}",
            ]
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
