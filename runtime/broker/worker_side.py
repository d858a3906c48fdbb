"""WorkerSideMixin: the broker calls a worker makes (read, settle, renew, reclaim, maintenance)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson

from runtime.broker.base import BrokerBase
from runtime.broker.cluster import ShardReaders, StartFn, node_client
from runtime.broker.connection import translated_errors
from runtime.broker.keys import GROUP
from runtime.broker.protocol import Delivery, Reclaimed, Settlement, WorkerInfo


def _backoff(text: str) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    initial, _, ceiling = text.partition(",")
    return (int(initial) if initial else None), (int(ceiling) if ceiling else None)


def _delivery(row: list[Any]) -> Delivery | None:
    """A Delivery from a start.lua row, or None for an entry that was no longer runnable."""
    if int(row[2]) == 0:
        return None
    initial, ceiling = _backoff(str(row[7]))
    return Delivery(
        job_id=str(row[1]),
        attempt=int(row[2]),
        task_type=str(row[3]),
        payload=orjson.loads(row[4]),
        timeout_s=int(row[5]) / 1000,
        max_retries=int(row[6]),
        initial_backoff_ms=initial,
        max_backoff_ms=ceiling,
        deliveries=int(row[8]),
        cancel_requested=row[9] == "1",
    )


class WorkerSideMixin(BrokerBase):
    """Reading, settling and the bookkeeping that keeps at-least-once delivery honest."""

    async def claim(self, consumer: str, count: int) -> list[Delivery]:
        """Read and start up to `count` new entries without blocking: one script call per shard."""
        per_shard = max(1, -(-count // len(self.shard_keys)))
        async with translated_errors(self.redis):
            answers = await asyncio.gather(*(
                self.scripts.start(keys, consumer, [], read=per_shard) for keys in self.shard_keys
            ))  # fmt: skip
        started = (_delivery(row) for rows in answers for row in rows)
        # cluster: reads left outstanding by an earlier read() may have started entries since;
        # hand them over now, not after the backlog is gone (their lease is not renewed till then)
        ready = self._readers.take_done() if self._readers is not None else []
        return ready + [d for d in started if d is not None]

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        """Read up to `count` new entries per shard (blocking up to block_ms) and start them."""
        if self.is_cluster:
            return await self._read_shards(consumer, count, block_ms)
        streams: dict[Any, Any] = {keys.stream: ">" for keys in self.shard_keys}
        async with translated_errors(self.blocking):
            answer = await self.blocking.xreadgroup(
                GROUP, consumer, streams, count=count, block=block_ms
            )
        if not answer:
            return []
        batches = [
            (self.shard_by_stream[str(stream)], [(str(e), str(f["id"])) for e, f in entries])
            for stream, entries in answer
        ]
        return await self._start(consumer, batches)

    async def _read_shards(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        # a cluster: XREADGROUP names one slot, so one outstanding read per shard
        if self._readers is None:
            streams = [keys.stream for keys in self.shard_keys]
            margin_s = self.settings.redis_timeout_ms / 1000
            self._readers = ShardReaders(
                self.blocking, streams, self._start_one(consumer), margin_s
            )
        async with translated_errors(self.blocking):
            deliveries = await self._readers.read(consumer, count, block_ms)
        return deliveries

    def _start_one(self, consumer: str) -> StartFn:
        async def start(shard: int, entries: list[tuple[str, str]]) -> list[Delivery]:
            return await self._start(consumer, [(shard, entries)])

        return start

    async def _start(
        self, consumer: str, batches: list[tuple[int, list[tuple[str, str]]]]
    ) -> list[Delivery]:
        async with translated_errors(self.redis):
            answers = await asyncio.gather(*(
                self.scripts.start(self.shard_keys[shard], consumer, entries)
                for shard, entries in batches if entries
            ))  # fmt: skip
        started = (_delivery(row) for rows in answers for row in rows)
        return [d for d in started if d is not None]

    async def settle(self, consumer: str, settlements: Sequence[Settlement]) -> list[bool]:
        """Record finished attempts (one script call per shard); False marks a stale attempt."""
        by_shard: dict[int, list[int]] = {}
        for i, s in enumerate(settlements):
            by_shard.setdefault(self.shard_of(s.job_id), []).append(i)
        async with translated_errors(self.redis):
            answers = await asyncio.gather(*(
                self.scripts.settle(
                    self.shard_keys[shard], consumer, self.result_ttl_ms,
                    [settlements[i] for i in idx],
                )
                for shard, idx in by_shard.items()
            ))  # fmt: skip
        ok = [False] * len(settlements)
        for idx, codes in zip(by_shard.values(), answers, strict=True):
            for i, code in zip(idx, codes, strict=True):
                ok[i] = int(code) == 1
        return ok

    async def renew(self, consumer: str, job_ids: Sequence[str]) -> list[str]:
        """Renew the leases of this consumer's running jobs; the ids with a cancel requested."""
        by_shard: dict[int, list[str]] = {}
        for job_id in job_ids:
            by_shard.setdefault(self.shard_of(job_id), []).append(job_id)
        cancelled: list[str] = []
        async with translated_errors(self.redis):
            for shard, ids in by_shard.items():
                _, flagged = await self.scripts.renew(self.shard_keys[shard], consumer, ids)
                cancelled += [str(i) for i in flagged]
        return cancelled

    async def reclaim(self, consumer: str, min_idle_ms: int, count: int) -> Reclaimed:
        """Take over entries idle past min_idle_ms: lost attempts and never-started entries."""
        lost: list[Delivery] = []
        fresh: list[Delivery] = []
        for shard, keys in enumerate(self.shard_keys):
            async with translated_errors(self.redis):
                lost_rows, fresh_rows, cursor = await self.scripts.reclaim(
                    keys, consumer, min_idle_ms, count, self._reclaim_cursors.get(shard, "0-0")
                )
            self._reclaim_cursors[shard] = str(cursor)
            for row in lost_rows:
                initial, ceiling = _backoff(str(row[6]))
                lost.append(Delivery(
                    job_id=str(row[1]), attempt=int(row[2]), task_type=str(row[3]), payload=None,
                    timeout_s=0, max_retries=int(row[5]), initial_backoff_ms=initial,
                    max_backoff_ms=ceiling, deliveries=int(row[4]),
                ))  # fmt: skip
            if fresh_rows:
                entries = [(str(r[0]), str(r[1])) for r in fresh_rows]
                fresh += await self._start(consumer, [(shard, entries)])
        return Reclaimed(lost=lost, fresh=fresh)

    async def promote_due(self, limit: int) -> int:
        """Move due scheduled and retrying jobs onto their streams; the count moved."""
        total = 0
        async with translated_errors(self.redis):
            for keys in self.shard_keys:
                promoted, _ = await self.scripts.promote_due(keys, limit)
                total += int(promoted)
        return total

    async def sweep_expired(self, limit: int) -> int:
        """Delete finished jobs past retention with their index entries; the count deleted."""
        async with translated_errors(self.redis):
            counts = [await self.scripts.sweep_expired(k, limit) for k in self.shard_keys]
        return sum(counts)

    async def hand_back(self, consumer: str) -> int:
        """Return everything this consumer holds to the streams at once (shutdown)."""
        if self._readers is not None:
            await self._readers.stop()  # nothing may arrive for us after the hand-back
        total = 0
        async with translated_errors(self.redis):
            for keys in self.shard_keys:
                while (n := await self.scripts.hand_back(keys, consumer, 200)) > 0:
                    total += n
        return total

    async def remove_idle_consumers(self, idle_ms: int, only: str = "") -> int:
        """Delete consumers with nothing pending idle for idle_ms (or just `only`)."""
        async with translated_errors(self.redis):
            counts = [await self.scripts.remove_consumer(k, idle_ms, only) for k in self.shard_keys]
        return sum(counts)

    async def heartbeat(self, info: WorkerInfo, ttl_ms: int) -> None:
        """Publish a worker's liveness and counters; it drops off the list after ttl_ms."""
        body = orjson.dumps({
            "name": info.name, "host": info.host, "pid": info.pid, "started_ms": info.started_ms,
            "concurrency": info.concurrency, "in_flight": info.in_flight,
            "processed": info.processed, "failed": info.failed, **info.extra,
        })  # fmt: skip
        g = self.globals
        async with translated_errors(self.redis), self.redis.pipeline(transaction=False) as pipe:
            pipe.set(g.worker_prefix + info.name, body, px=ttl_ms)
            pipe.zadd(g.workers, {info.name: info.heartbeat_ms})
            await pipe.execute()

    async def forget_worker(self, name: str) -> None:
        """Remove a stopped worker from the live list at once."""
        async with translated_errors(self.redis):
            await self.redis.delete(self.globals.worker_prefix + name)
            await self.redis.zrem(self.globals.workers, name)

    async def cancellations(self) -> AsyncIterator[str]:
        """Job ids whose running attempt must stop, as cancel.lua publishes them."""
        client = self.redis
        if self.is_cluster:  # PUBLISH reaches every node: listen on any one
            async with translated_errors(self.redis):
                client = await node_client(self.redis, self.settings)  # type: ignore[arg-type]
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            async with translated_errors(client):
                await pubsub.subscribe(self.globals.cancel_channel)
            while True:
                async with translated_errors(client):
                    message = await pubsub.get_message(timeout=1.0)
                if message is not None:
                    yield str(message["data"])
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            if client is not self.redis:
                await client.aclose()
