"""BrokerBase: the connections, key sets, bootstrap and placement every broker part shares."""

from __future__ import annotations

import os

from redis import exceptions as rx
from redis.asyncio import Redis

from runtime.broker.cluster import ShardReaders
from runtime.broker.connection import connect, translated_errors
from runtime.broker.keys import GROUP, QueueKeys, global_keys, queue_keys
from runtime.broker.scripts import Scripts
from runtime.config import Settings
from runtime.errors import BrokerUnavailable, EmptyBrokerDetected, JobNotFound
from runtime.jobs import JobRequest, shard_for_key
from runtime.jobs import shard_of_id as parse_shard


def shard_key(prefix: str, shard: int, name: str) -> str:
    """A key of one shard that no Lua script receives (epoch, WAIT marker): same hash tag."""
    return f"{prefix}:{{{shard}}}:{name}"


class BrokerBase:
    """Connections, shard key sets, epoch and placement: what every broker part relies on."""

    def __init__(self, settings: Settings, redis: Redis | None = None) -> None:
        self.settings = settings
        self.redis = redis or connect(settings)
        self.scripts = Scripts(self.redis)
        self.shard_keys = [
            queue_keys(settings.queue_prefix, settings.job_stream, settings.dlq_stream, shard)
            for shard in range(settings.shards)
        ]
        self.shard_by_stream = {k.stream: i for i, k in enumerate(self.shard_keys)}
        self.globals = global_keys(settings.queue_prefix)
        # one epoch per shard as well as the global one: in a cluster each node can lose its
        # data alone (a shard's primary and replica both restarted empty)
        self.epoch_keys = [self.globals.epoch] + [
            shard_key(settings.queue_prefix, shard, "epoch") for shard in range(settings.shards)
        ]
        self.is_cluster = settings.redis_cluster
        self.result_ttl_ms = settings.result_ttl_s * 1000
        self._epochs: list[str | None] | None = None
        self._blocking: Redis | None = None
        self._readers: ShardReaders | None = None
        self._next_shard = 0
        self._reclaim_cursors: dict[int, str] = {}  # XAUTOCLAIM scan position per shard

    # --- lifecycle ------------------------------------------------------------------------
    async def bootstrap(self) -> None:
        """Create the consumer groups (from the start of each stream) and the epoch keys.

        Only what is missing is written: a server out of memory refuses every deny-oom write,
        even one that would change nothing, and a worker must still start there to drain it."""
        async with translated_errors(self.redis):
            for keys in self.shard_keys:
                await self._create_group(keys.stream)
            self._epochs = await self._write_epochs()

    async def _create_group(self, stream: str) -> None:
        try:
            await self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except rx.ResponseError as exc:
            if "BUSYGROUP" in str(exc):
                return
            # out of memory the server refuses XGROUP CREATE before it sees the group exists
            if isinstance(exc, rx.OutOfMemoryError) and await self._has_group(stream):
                return
            raise

    async def _has_group(self, stream: str) -> bool:
        try:
            groups = await self.redis.xinfo_groups(stream)
        except rx.ResponseError as exc:
            if "no such key" in str(exc):
                return False
            raise
        return any(g["name"] == GROUP for g in groups)

    async def _write_epochs(self) -> list[str | None]:
        epochs = await self._read_epochs()
        missing = [key for key, epoch in zip(self.epoch_keys, epochs, strict=True) if not epoch]
        if not missing:
            return epochs
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in missing:
                pipe.set(key, os.urandom(8).hex(), nx=True)  # NX: another process may race us
            await pipe.execute()
        return await self._read_epochs()

    async def _read_epochs(self) -> list[str | None]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in self.epoch_keys:
                pipe.get(key)
            epochs: list[str | None] = await pipe.execute()
        return epochs

    async def check_epoch(self) -> None:
        """Raise EmptyBrokerDetected when a node no longer holds an epoch we started with
        (and BrokerUnavailable before bootstrap() has recorded them)."""
        if self._epochs is None:
            raise BrokerUnavailable("starting: the queue's server has not been reached yet")
        async with translated_errors(self.redis):
            current = await self._read_epochs()
        if current != self._epochs:
            raise EmptyBrokerDetected(
                "the queue's server came back without its data (epoch key missing or changed); "
                "stopping so no job is silently forgotten"
            )

    async def ping(self) -> None:
        """Raise BrokerUnavailable unless the server answers and still holds our data."""
        async with translated_errors(self.redis):
            await self.redis.ping()
        await self.check_epoch()

    async def close(self) -> None:
        """Release every connection."""
        if self._readers is not None:
            await self._readers.stop()
        await self.redis.aclose()
        if self._blocking is not None:
            await self.blocking.aclose()

    @property
    def blocking(self) -> Redis:
        """The connection for blocking reads, apart from the pool that serves everything else."""
        if self._blocking is None:
            self._blocking = connect(self.settings, blocking=True)
        return self._blocking

    # --- placement ------------------------------------------------------------------------
    def shard_of(self, job_id: str) -> int:
        """The shard a job id names; JobNotFound for ids that cannot be ours."""
        shard = parse_shard(job_id, self.settings.shards)
        if shard is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        return shard

    def keys_of(self, job_id: str) -> QueueKeys:
        """The shard keys of a job."""
        return self.shard_keys[self.shard_of(job_id)]

    def _place(self, request: JobRequest) -> int:
        key = request.partition_key or request.idempotency_key
        if key is not None:
            return shard_for_key(key, self.settings.shards)
        self._next_shard = (self._next_shard + 1) % self.settings.shards
        return self._next_shard
