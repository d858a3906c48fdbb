"""RedisBroker: the only code that sends Redis commands (API side here, worker side mixed in)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from typing import Any, cast

import orjson
from redis.asyncio.cluster import RedisCluster

from runtime.broker.base import shard_key
from runtime.broker.connection import translated_errors, unannotated
from runtime.broker.keys import GROUP, QueueKeys, index_key, job_key
from runtime.broker.protocol import Created, JobFilter, Page, QueueStats
from runtime.broker.queries import QueriesMixin
from runtime.broker.scripts import EnqueueItem
from runtime.broker.worker_side import WorkerSideMixin
from runtime.errors import (
    BrokerUnavailable,
    IdempotencyConflict,
    JobAlreadyFinished,
    JobNotFound,
    ReplicationTimeout,
)
from runtime.jobs import Job, JobRequest, JobStatus, decode_job, new_job_id

# statuses with an index of their own; the others are found by scanning the 'all' index
INDEXED = (JobStatus.DEAD, JobStatus.CANCELLED)


class RedisBroker(QueriesMixin, WorkerSideMixin):
    """The queue on one Redis/Valkey server: SHARDS streams, job hashes, indexes, DLQ."""

    # --- enqueue --------------------------------------------------------------------------
    def _fields(self, request: JobRequest) -> list[str]:
        s = self.settings
        max_retries = s.max_retries if request.max_retries is None else request.max_retries
        timeout_s = s.job_timeout_s if request.timeout_s is None else request.timeout_s
        fields = [
            # type and payload first: enqueue.lua compares them to recognise its own resends
            "type", request.task_type,
            "payload", orjson.dumps(request.payload).decode(),
            "max_retries", str(max_retries),
            "timeout_ms", str(int(timeout_s * 1000)),
        ]  # fmt: skip
        if request.partition_key:
            fields += ["pkey", request.partition_key]
        if request.initial_backoff_ms is not None or request.max_backoff_ms is not None:
            initial = request.initial_backoff_ms
            ceiling = request.max_backoff_ms
            fields += ["backoff", f"{'' if initial is None else initial},{ceiling or ''}"]
        if request.tenant:
            fields += ["tenant", request.tenant]
        return fields

    def _item(self, job_id: str, request: JobRequest) -> EnqueueItem:
        idem = ""
        if request.idempotency_key is not None:
            idem = f"{request.tenant or ''}:{request.idempotency_key}"
        digest = request.fingerprint() if idem else ""
        return job_id, idem, digest, request.delay_ms, self._fields(request)

    async def enqueue(self, requests: Sequence[JobRequest]) -> list[Created]:
        """Create jobs, one script call per shard; a repeated Idempotency-Key returns the first."""
        created: list[Created | None] = [None] * len(requests)
        todo, touched = list(range(len(requests))), set[int]()
        for _ in range(5):  # an id taken by another process (code 4) is retried with a new one
            todo = await self._enqueue_once(requests, todo, created, touched)
            if not todo:
                break
        else:
            raise BrokerUnavailable("could not find free job ids; retry the request")
        async with translated_errors(self.redis):
            acked = await self._wait_for_replicas(touched)
        done = [c for c in created if c is not None]
        if acked < self.settings.wait_replicas:
            raise ReplicationTimeout(
                f"{acked} of {self.settings.wait_replicas} replica(s) acknowledged the job within "
                f"{self.settings.wait_timeout_ms} ms, so it may not survive a failover; retry with "
                "the same Idempotency-Key to get it once replicated",
                details={"job_ids": [c.job.id for c in done], "replicas_acknowledged": acked},
            )
        return done

    async def _enqueue_once(
        self,
        requests: Sequence[JobRequest],
        todo: list[int],
        created: list[Created | None],
        touched: set[int],
    ) -> list[int]:
        by_shard: dict[int, list[tuple[int, str]]] = {}
        for i in todo:
            shard = self._place(requests[i])
            by_shard.setdefault(shard, []).append((i, new_job_id(shard)))
        touched.update(by_shard)
        ttl = self.settings.idempotency_ttl_s
        calls = [
            self.scripts.enqueue(
                self.shard_keys[shard],
                [self._item(job_id, requests[i]) for i, job_id in placed],
                ttl,
            )
            for shard, placed in by_shard.items()
        ]
        async with translated_errors(self.redis):
            answers = [await calls[0]] if len(calls) == 1 else await asyncio.gather(*calls)
        retry: list[int] = []
        for placed, answer in zip(by_shard.values(), answers, strict=True):
            for (i, _), row in zip(placed, answer, strict=True):
                code = int(row[0])
                if code == 4:
                    retry.append(i)
                elif code == 2:
                    job = await self.get(str(row[1]), tenant=requests[i].tenant)
                    created[i] = Created(job=job, created=False)
                else:
                    created[i] = self._created(requests[i], code, str(row[1]), int(row[2]))
        return retry

    def _created(self, request: JobRequest, code: int, job_id: str, now_ms: int) -> Created:
        if code == 3:
            raise IdempotencyConflict(
                "this Idempotency-Key was already used with a different request body",
                details={"job_id": job_id},
            )
        s, delayed = self.settings, request.delay_ms > 0
        job = Job(
            id=job_id,
            task_type=request.task_type,
            payload=request.payload,
            status=JobStatus.SCHEDULED if delayed else JobStatus.QUEUED,
            attempts=0,
            max_retries=s.max_retries if request.max_retries is None else request.max_retries,
            partition_key=request.partition_key,
            created_ms=now_ms,
            updated_ms=now_ms,
            timeout_s=s.job_timeout_s if request.timeout_s is None else request.timeout_s,
            due_ms=now_ms + request.delay_ms if delayed else None,
            tenant=request.tenant,
        )
        return Created(job=job, created=True)

    async def _wait_for_replicas(self, shards: Iterable[int]) -> int:
        # durability point: with WAIT_REPLICAS > 0 a job is acknowledged only once a replica has
        # it, so a failover right after 201 does not lose it; the fewest replicas any node had
        if self.settings.wait_replicas == 0:
            return 0
        touched = list(shards) if self.is_cluster else [0]  # one server: one WAIT covers all
        return min(await asyncio.gather(*(self._wait_on_node_of(shard) for shard in touched)))

    async def _wait_on_node_of(self, shard: int) -> int:
        # WAIT counts the writes of the connection it is sent on, and the script may have used
        # another pooled connection: a marker write to the shard's slot, in one pipeline with
        # WAIT, comes after the script's writes in that node's replication stream
        marker = shard_key(self.settings.queue_prefix, shard, "wait")
        s, target = self.settings, {}
        if self.is_cluster:
            target = {"target_nodes": cast(RedisCluster, self.redis).get_node_from_key(marker)}
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(marker, "1", px=3_600_000)
            pipe.execute_command("WAIT", s.wait_replicas, s.wait_timeout_ms, **target)
            _, acked = unannotated(await pipe.execute(raise_on_error=False))
        return int(acked)

    # --- one job --------------------------------------------------------------------------
    async def get(self, job_id: str, *, tenant: str | None = None) -> Job:
        """The job with its attempt history; JobNotFound when missing or another tenant's."""
        keys = self.keys_of(job_id)
        async with translated_errors(self.redis):
            raw: dict[str, str] = await self.redis.hgetall(job_key(keys, job_id))  # type: ignore[misc]
        if not raw or (tenant is not None and raw.get("tenant") != tenant):
            raise JobNotFound(f"no job with id {job_id!r}")
        return decode_job(job_id, raw)

    async def cancel(self, job_id: str, *, tenant: str | None = None) -> Job:
        """Cancel a job now (queued, scheduled, retrying) or ask its worker to stop (running)."""
        keys = self.keys_of(job_id)
        async with translated_errors(self.redis):
            code, status = await self.scripts.cancel(
                keys, job_id, self.result_ttl_ms, self.globals.cancel_channel, tenant or ""
            )
        if code == 0:
            raise JobNotFound(f"no job with id {job_id!r}")
        if code == 2:
            raise JobAlreadyFinished(
                f"job {job_id} already finished ({status}); nothing to cancel",
                details={"status": status},
            )
        return await self.get(job_id, tenant=tenant)

    # --- listing --------------------------------------------------------------------------
    async def list_jobs(self, flt: JobFilter, limit: int, cursor: str | None) -> Page:
        """Jobs newest first across every shard, filtered; the cursor is the last id returned."""
        indexed = flt.status in INDEXED
        index = flt.status.value if flt.status and indexed else "all"
        status = flt.status.value if flt.status and not indexed else ""
        filters = (flt.task_type or "", flt.partition_key or "", flt.tenant or "", status)
        return await self._merged_page(index, filters, limit, cursor)

    async def list_dead(self, limit: int, cursor: str | None, tenant: str | None) -> Page:
        """Dead jobs newest first, with their last error."""
        filt = JobFilter(status=JobStatus.DEAD, tenant=tenant)
        return await self.list_jobs(filt, limit, cursor)

    async def _merged_page(
        self, index: str, filters: tuple[str, str, str, str], limit: int, cursor: str | None
    ) -> Page:
        before = cursor or ""
        budget = max(limit * 20, 2_000)
        async with translated_errors(self.redis):
            answers = await asyncio.gather(*(
                self.scripts.list_jobs(keys, index, before, limit, filters, budget)
                for keys in self.shard_keys
            ))  # fmt: skip
        frontiers = [str(a[0]) for a in answers if a[0]]
        boundary = max(frontiers) if frontiers else ""
        rows = [(str(r[0]), r[1]) for a in answers for r in a[1]]
        rows = sorted((r for r in rows if r[0] >= boundary), key=lambda r: r[0], reverse=True)
        items = [decode_job(job_id, _pairs(flat)) for job_id, flat in rows[:limit]]
        if len(rows) > limit or (len(items) == limit and boundary):
            return Page(items=items, next_cursor=items[-1].id)
        return Page(items=items, next_cursor=boundary or None)

    # --- dead letters ---------------------------------------------------------------------
    async def replay(self, job_ids: Sequence[str], *, tenant: str | None = None) -> list[Job]:
        """Re-queue dead jobs with attempts reset; all must exist and be dead, or none moves."""
        for job_id in job_ids:
            if (await self.get(job_id, tenant=tenant)).status is not JobStatus.DEAD:
                raise JobAlreadyFinished(f"job {job_id} is not dead; only dead jobs are replayed")
        for job_id in job_ids:
            async with translated_errors(self.redis):
                (code,) = await self.scripts.replay(self.keys_of(job_id), [job_id], tenant or "")
            if code == 0:
                raise JobNotFound(f"no job with id {job_id!r}")
            if code == 2:
                raise JobAlreadyFinished(f"job {job_id} is not dead; only dead jobs are replayed")
        return [await self.get(job_id, tenant=tenant) for job_id in job_ids]

    async def purge_dead(self) -> int:
        """Delete every dead job, in bounded batches; the count deleted."""
        total = 0
        async with translated_errors(self.redis):
            for keys in self.shard_keys:
                while (n := await self.scripts.purge_dead(keys, 500)) > 0:
                    total += n
        return total

    async def stats(self) -> QueueStats:
        """Counts by status, DLQ depth, counters and backlog summed over every shard."""
        async with translated_errors(self.redis):
            parts = await asyncio.gather(*(self._shard_stats(k) for k in self.shard_keys))
        by_status = {s.value: sum(p[0][s.value] for p in parts) for s in JobStatus}
        counters: dict[str, int] = {}
        for p in parts:
            for name, value in p[2].items():
                counters[name] = counters.get(name, 0) + int(value)
        oldest = [p[3] for p in parts if p[3] is not None]
        age_s = max(0.0, time.time() - min(oldest) / 1000) if oldest else 0.0
        return QueueStats(
            jobs_by_status=by_status,
            dlq_depth=sum(p[1] for p in parts),
            counters=counters,
            queue_backlog=by_status["queued"],
            oldest_queued_age_s=round(age_s, 3),
        )

    async def _shard_stats(
        self, keys: QueueKeys
    ) -> tuple[dict[str, int], int, dict[str, str], int | None]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for status in INDEXED:
                pipe.zcard(index_key(keys, status.value))
            pipe.zcard(keys.expiry)
            pipe.zcard(keys.delayed)
            pipe.zcard(keys.retries)
            pipe.xlen(keys.stream)
            pipe.xinfo_groups(keys.stream)
            pipe.xlen(keys.dead)
            pipe.hgetall(keys.stats)
            out = await pipe.execute()
        counts = {s.value: int(n) for s, n in zip(INDEXED, out, strict=False)}
        expiring, scheduled, retrying, length, groups, dead, stats = out[len(INDEXED) :]
        # finished jobs waiting for retention are the succeeded and the cancelled ones
        counts["succeeded"] = max(0, int(expiring) - counts["cancelled"])
        group = next((g for g in groups if g["name"] == GROUP), {"pending": 0})
        pending = int(group["pending"])
        # the stream holds only live entries (acked ones are deleted): queued = not yet delivered
        counts |= {"scheduled": int(scheduled), "retrying": int(retrying),
                   "running": pending, "queued": max(0, int(length) - pending)}  # fmt: skip
        last = group.get("last-delivered-id", "0-0")
        nxt = await self.redis.xrange(keys.stream, min=f"({last}", count=1)
        oldest = int(str(nxt[0][0]).split("-")[0]) if nxt else None
        return counts, int(dead), stats, oldest


def _pairs(flat: list[Any]) -> dict[str, str]:
    return {str(flat[i]): str(flat[i + 1]) for i in range(0, len(flat), 2)}
