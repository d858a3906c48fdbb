"""Runs one attempt under its timeout; returns an Outcome-to-be (Finished), never raises."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import orjson

from runtime.broker.protocol import Delivery
from runtime.errors import JobTimeout, PermanentError
from runtime.tasks.registry import JobContext, TaskSpec


@dataclass(frozen=True, slots=True)
class Finished:
    """How a handler call ended: a JSON result, an error, or a cancellation."""

    result_json: str = ""
    error: BaseException | None = None
    cancelled: bool = False


async def run_attempt(
    spec: TaskSpec | None, delivery: Delivery, ctx: JobContext, pool: ThreadPoolExecutor
) -> Finished:
    """Call the handler (async on the loop, sync in the pool). The attempt's timeout is enforced
    by the worker's deadline sweep, which cancels this call (one timer for all jobs)."""
    if spec is None:
        return Finished(error=PermanentError(f"unknown task type {delivery.task_type!r}"))
    args = (delivery.payload, ctx) if spec.wants_context else (delivery.payload,)
    try:
        if spec.is_async:
            value = await spec.handler(*args)
        else:
            call = functools.partial(contextvars.copy_context().run, spec.handler, *args)
            value = await asyncio.get_running_loop().run_in_executor(pool, call)
    except asyncio.CancelledError:
        if ctx.is_timed_out():
            return Finished(
                error=JobTimeout(f"attempt ran past its timeout of {delivery.timeout_s} s")
            )
        if ctx.is_cancelled():
            return Finished(cancelled=True)
        raise
    except Exception as exc:
        return Finished(error=exc)
    try:
        return Finished(result_json=orjson.dumps(value).decode() if value is not None else "")
    except TypeError as exc:
        return Finished(error=PermanentError(f"the handler's result is not JSON: {exc}"))
