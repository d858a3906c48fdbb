"""QueriesMixin: read-only views for dashboards (recent activity series, live workers)."""

from __future__ import annotations

import time

import orjson

from runtime.broker.base import BrokerBase
from runtime.broker.connection import translated_errors
from runtime.broker.protocol import SeriesPoint, WorkerInfo

BUCKET_MS = 10_000
SERIES_FIELDS = ("created", "completed", "failed", "wait_ms", "started", "run_ms", "finished")


class QueriesMixin(BrokerBase):
    """Views that read many small keys; never on a job's hot path."""

    async def series(self, window_s: int) -> list[SeriesPoint]:
        """Activity per 10 s bucket over the last window_s seconds, oldest first, all shards."""
        now_bucket = int(time.time() * 1000) // BUCKET_MS
        buckets = list(range(now_bucket - max(1, window_s * 1000 // BUCKET_MS) + 1, now_bucket + 1))
        async with translated_errors(self.redis), self.redis.pipeline(transaction=False) as pipe:
            for keys in self.shard_keys:
                for b in buckets:
                    pipe.hmget(keys.series_prefix + str(b), list(SERIES_FIELDS))
            rows = await pipe.execute()
        sums = [[0] * len(SERIES_FIELDS) for _ in buckets]
        for i, row in enumerate(rows):
            target = sums[i % len(buckets)]
            for f, value in enumerate(row):
                target[f] += int(value or 0)
        return [
            SeriesPoint(b * BUCKET_MS, *values) for b, values in zip(buckets, sums, strict=True)
        ]

    async def workers(self) -> list[WorkerInfo]:
        """Workers whose heartbeat has not expired, oldest first; stale entries are pruned."""
        g = self.globals
        async with translated_errors(self.redis):
            names = await self.redis.zrange(g.workers, 0, -1, withscores=True)
            if not names:
                return []
            # one GET per worker in a pipeline, not MGET: the keys live in many cluster slots
            async with self.redis.pipeline(transaction=False) as pipe:
                for n, _ in names:
                    pipe.get(g.worker_prefix + str(n))
                bodies = await pipe.execute()
            gone = [str(n) for (n, _), body in zip(names, bodies, strict=True) if body is None]
            if gone:
                await self.redis.zrem(g.workers, *gone)
        live: list[WorkerInfo] = []
        for (_, beat), body in zip(names, bodies, strict=True):
            if body is None:
                continue
            data = orjson.loads(body)
            live.append(WorkerInfo(
                name=data.pop("name"), host=data.pop("host"), pid=data.pop("pid"),
                started_ms=data.pop("started_ms"), heartbeat_ms=int(beat),
                concurrency=data.pop("concurrency"), in_flight=data.pop("in_flight"),
                processed=data.pop("processed"), failed=data.pop("failed"), extra=data,
            ))  # fmt: skip
        return live
