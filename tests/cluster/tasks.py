"""The ledger task of the cluster delivery runs: one line per finished execution, per process."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from runtime.tasks import JobContext, task

_fd: int | None = None


@task("cluster.ledger", max_retries=5)
async def ledger(payload: Any, ctx: JobContext) -> None:
    """Sleep payload.ms, then append `job_id attempt pid` (os.write: survives kill -9)."""
    global _fd
    await asyncio.sleep(float(payload.get("ms", 0)) / 1000)
    if _fd is None:
        path = os.path.join(os.environ["DTQ_LEDGER_DIR"], f"ledger-{os.getpid()}")
        _fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(_fd, f"{ctx.job_id} {ctx.attempt} {os.getpid()}\n".encode())
