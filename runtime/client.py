"""Enqueue and inspect jobs from other Python apps straight through Redis (no HTTP).

    async with AsyncClient(Settings()) as dtq:
        job = await dtq.enqueue("send_email", {"to": "a@example.com"})

    with Client(Settings()) as dtq:          # the same calls, blocking
        job = dtq.get(job.id)

Both use the engine calls the API uses (task defaults, idempotency, shards), so both paths behave
the same. Task types are checked against the registry only when `strict_task_types` is on, since a
producer app need not import every handler.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from runtime.broker.protocol import JobFilter, Page
from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.errors import InvalidRequest, UnknownTaskType
from runtime.jobs import MAX_PAYLOAD_DEPTH, Job, JobRequest, JobStatus, nesting_depth
from runtime.tasks.registry import REGISTRY, Registry

T = TypeVar("T")


class AsyncClient:
    """asyncio client: enqueue one or many, get, list, cancel."""

    def __init__(
        self, settings: Settings, *, registry: Registry = REGISTRY, strict_task_types: bool = False
    ) -> None:
        self.broker = RedisBroker(settings)
        self.registry = registry
        self.strict_task_types = strict_task_types

    async def __aenter__(self) -> Self:
        await self.broker.bootstrap()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the connections."""
        await self.broker.close()

    def _prepare(self, request: JobRequest) -> JobRequest:
        if nesting_depth(request.payload) > MAX_PAYLOAD_DEPTH:
            raise InvalidRequest(f"payload nests deeper than {MAX_PAYLOAD_DEPTH} levels")
        if self.strict_task_types and self.registry.get(request.task_type) is None:
            raise UnknownTaskType(f"unknown task type {request.task_type!r}")
        return self.registry.resolve(request)

    async def enqueue(
        self, task_type: str, payload: dict[str, Any] | None = None, **options: Any
    ) -> Job:
        """Enqueue one job (options: partition_key, max_retries, timeout_s, delay_ms,
        initial_backoff_ms, max_backoff_ms, idempotency_key); one round trip."""
        request = self._prepare(JobRequest(task_type, payload or {}, **options))
        (created,) = await self.broker.enqueue([request])
        return created.job

    async def enqueue_many(self, requests: Sequence[JobRequest]) -> list[Job]:
        """Enqueue many jobs in one script call per shard."""
        created = await self.broker.enqueue([self._prepare(r) for r in requests])
        return [c.job for c in created]

    async def get(self, job_id: str) -> Job:
        """One job with its attempt history; JobNotFound when it does not exist."""
        return await self.broker.get(job_id)

    async def list(
        self,
        *,
        status: JobStatus | None = None,
        task_type: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page:
        """A page of jobs, newest first."""
        return await self.broker.list_jobs(JobFilter(status, task_type), limit, cursor)

    async def cancel(self, job_id: str) -> Job:
        """Cancel a job (cooperatively when it is running)."""
        return await self.broker.cancel(job_id)


class Client:
    """Blocking client: the AsyncClient's calls run on a private event loop thread."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._async = AsyncClient(settings, **options)
        self._run(self._async.broker.bootstrap())

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the connections and stop the loop thread."""
        self._run(self._async.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def enqueue(self, task_type: str, payload: dict[str, Any] | None = None, **options: Any) -> Job:
        """See AsyncClient.enqueue."""
        return self._run(self._async.enqueue(task_type, payload, **options))

    def enqueue_many(self, requests: Sequence[JobRequest]) -> list[Job]:
        """See AsyncClient.enqueue_many."""
        return self._run(self._async.enqueue_many(requests))

    def get(self, job_id: str) -> Job:
        """See AsyncClient.get."""
        return self._run(self._async.get(job_id))

    def list(self, **filters: Any) -> Page:
        """See AsyncClient.list."""
        return self._run(self._async.list(**filters))

    def cancel(self, job_id: str) -> Job:
        """See AsyncClient.cancel."""
        return self._run(self._async.cancel(job_id))
