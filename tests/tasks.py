"""Task types only the tests use (loaded through TASK_MODULES=tests.tasks)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from runtime.tasks import JobContext, task

SYNC_THREADS: set[str] = set()


@task("test.sync_echo", max_retries=0)
def sync_echo(payload: Any) -> Any:
    """A synchronous handler: runs in the worker's thread pool."""
    SYNC_THREADS.add(threading.current_thread().name)
    return payload


@task("test.sync_sleep")
def sync_sleep(payload: Any, ctx: JobContext) -> dict[str, bool]:
    """Sleeps in a thread, checking for cancellation every 10 ms."""
    deadline = time.monotonic() + float(payload.get("seconds", 1))
    while time.monotonic() < deadline:
        if ctx.is_cancelled():
            return {"stopped_early": True}
        time.sleep(0.01)
    return {"stopped_early": False}


@task("test.task_defaults", max_retries=1, timeout_s=0.2, initial_backoff_ms=5, max_backoff_ms=5)
async def task_defaults(payload: Any) -> None:
    """Always fails: shows the task's own retry defaults."""
    raise RuntimeError("task default test")


@task("test.exit")
def hard_exit(payload: Any) -> None:
    """Kills the worker process outright (os._exit), like a segfault would."""
    os._exit(1)
