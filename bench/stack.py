"""A bench stack: one local server and N worker processes, stopped by PID when done."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.peers import REPO
from runtime.localserver import LocalServer


def worker_env(url: str, **settings: object) -> dict[str, str]:
    """Environment of a bench worker: the bench task module and quiet logs."""
    env = dict(
        os.environ,
        REDIS_URL=url,
        TASK_MODULES="bench.tasks",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO),
        PEERBENCH_REDIS_URL=url,
    )
    env.update({k.upper(): str(v) for k, v in settings.items()})
    return env


@contextlib.contextmanager
def server(**options: object) -> Iterator[LocalServer]:
    """A fresh local server (no persistence) for one measurement."""
    with tempfile.TemporaryDirectory(prefix="dtq-bench-") as folder:
        srv = LocalServer(Path(folder), appendonly=False, **options).start()  # type: ignore[arg-type]
        try:
            yield srv
        finally:
            srv.stop()


@contextlib.contextmanager
def workers(
    url: str, count: int = 1, **settings: object
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` worker processes; SIGTERM and wait on exit."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "runtime.worker"],
            env=worker_env(url, **settings),
            stdin=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        yield procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
