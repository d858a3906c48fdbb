"""The Python client (async and blocking) uses the same engine calls as the API."""

from __future__ import annotations

import asyncio

import pytest

from runtime.client import AsyncClient, Client
from runtime.config import Settings
from runtime.errors import JobNotFound, UnknownTaskType
from runtime.jobs import JobRequest, JobStatus


async def test_async_client_enqueues_gets_lists_and_cancels(settings: Settings) -> None:
    async with AsyncClient(settings) as dtq:
        job = await dtq.enqueue("echo", {"a": 1}, partition_key="p")
        assert job.status is JobStatus.QUEUED and job.partition_key == "p"
        assert (await dtq.get(job.id)).payload == {"a": 1}
        many = await dtq.enqueue_many([JobRequest("noop") for _ in range(3)])
        page = await dtq.list(limit=10)
        assert [j.id for j in page.items] == sorted([job.id] + [m.id for m in many], reverse=True)
        assert (await dtq.cancel(job.id)).status is JobStatus.CANCELLED
        with pytest.raises(JobNotFound):
            await dtq.get("nonsense")


async def test_client_applies_task_defaults_and_can_check_types(settings: Settings) -> None:
    async with AsyncClient(settings, strict_task_types=True) as dtq:
        job = await dtq.enqueue("test.task_defaults")
        assert job.max_retries == 1 and job.timeout_s == 0.2
        with pytest.raises(UnknownTaskType):
            await dtq.enqueue("no.such.task")


async def test_blocking_client_does_the_same(settings: Settings) -> None:
    def use() -> None:
        with Client(settings) as dtq:
            job = dtq.enqueue("noop", idempotency_key="once")
            assert dtq.enqueue("noop", idempotency_key="once").id == job.id
            assert dtq.get(job.id).status is JobStatus.QUEUED
            assert dtq.cancel(job.id).status is JobStatus.CANCELLED

    await asyncio.to_thread(use)
