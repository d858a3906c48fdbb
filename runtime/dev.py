"""`make run`: the whole stack in the foreground — local Valkey, the API (serving the UI), a worker.

Ctrl-C (SIGINT) or SIGTERM stops the API and the worker (which hands back unfinished jobs), then
the server (which writes its append-only file), and leaves no process behind. With REDIS_URL set,
that server is used instead of starting one. Data lives in DTQ_DATA_DIR (default .dtq-data/).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from types import FrameType

from runtime.localserver import LocalServer, data_dir_from_env


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], env=env, stdin=subprocess.DEVNULL)


def _wait_ready(url: str, api: subprocess.Popen[bytes], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and api.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(processes: list[subprocess.Popen[bytes]], timeout_s: float = 20.0) -> None:
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for p in processes:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main() -> int:
    """Start everything, wait for a signal or a crash, stop everything."""
    env = dict(os.environ)
    env.setdefault("LOG_FORMAT", "text")
    env.setdefault("ENVIRONMENT", "development")
    port = env.setdefault("PORT", "8000")
    server: LocalServer | None = None
    if "REDIS_URL" not in os.environ:
        server = LocalServer(data_dir_from_env()).start()
        env["REDIS_URL"] = server.url
        print(f"dtq: Valkey/Redis on {server.url} (data in {server.data_dir}, AOF on)", flush=True)
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    host = env.get("HOST", "127.0.0.1")
    api = _spawn(
        [
            "-m",
            "uvicorn",
            "runtime.api.main:app",
            "--host",
            host,
            "--port",
            port,
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "10",
        ],
        env,
    )
    worker = _spawn(["-m", "runtime.worker"], env)
    children = [api, worker]
    try:
        if _wait_ready(f"http://{host}:{port}/health/ready", api):
            print(
                f"dtq: ready — dashboard and API on http://{host}:{port} "
                f"(API docs at /docs; no API key needed outside production). Ctrl-C stops.",
                flush=True,
            )
        while not stopping and all(p.poll() is None for p in children):
            time.sleep(0.2)
        crashed = [p for p in children if p.poll() is not None]
        for p in crashed:
            print(f"dtq: {p.args!r} exited with {p.returncode}", flush=True)
    finally:
        print("dtq: stopping…", flush=True)
        _stop(children)
        if server is not None:
            server.stop()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
