"""Redis Cluster mode: the cluster client, failover retries, one reader per shard, a pub/sub node.

Every script already touches one slot (a shard's keys share the hash tag `{<shard>}`); what
differs in a cluster is only how commands that span shards are sent:
- XREADGROUP cannot name streams of several slots, so ShardReaders keeps one blocking read per
  shard outstanding: a shard with a backlog never makes another wait, and each gets an equal share.
- The async cluster client has no pub/sub; PUBLISH is broadcast to every node over the cluster
  bus, so cancellations are heard on a plain connection to any one node (and, should that node
  be lost, through renew.lua's cancel flag within VISIBILITY_TIMEOUT_MS / 3).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from redis import exceptions as rx
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.typing import EncodableT

from runtime.broker.keys import GROUP
from runtime.broker.protocol import Delivery
from runtime.config import Settings

# a node lost mid-failover, before the replica is promoted and the slot map says so
FAILOVER_ERRORS = (rx.ConnectionError, rx.TimeoutError, rx.ClusterError, rx.SlotNotCoveredError)
Entries = list[tuple[str, str]]  # (stream entry id, job id)
StartFn = Callable[[int, Entries], Awaitable[list[Delivery]]]


class FailoverRetryingCluster(RedisCluster):
    """RedisCluster that keeps retrying a lost node, with backoff, for `failover_retry_s`.

    The base client follows MOVED/ASK and TRYAGAIN itself, but gives up on a dead primary after
    a few immediate attempts; a replica takes a node timeout or two to be promoted."""

    failover_retry_s: float = 5.0

    async def execute_command(self, *args: EncodableT, **kwargs: Any) -> Any:
        """Run one command, retrying connection errors and CLUSTERDOWN until the budget is spent."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.failover_retry_s
        delay_s = 0.05
        pinned = "target_nodes" in kwargs  # sent to one named node: no other node can answer
        while True:
            try:
                return await super().execute_command(*args, **kwargs)
            except (*FAILOVER_ERRORS, AttributeError, RuntimeError) as exc:
                if not is_cluster_outage(exc) or pinned or loop.time() + delay_s > deadline:
                    raise
                if is_connection_race(exc):
                    await self.aclose()  # rebuild every connection and the slot map
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, 0.5)


def connect_cluster(settings: Settings, options: dict[str, Any]) -> RedisCluster:
    """A cluster client from REDIS_URL (any node) with the standalone client's options."""
    options = {k: v for k, v in options.items() if k != "retry"}
    client = FailoverRetryingCluster.from_url(
        settings.redis_url,
        retry=Retry(NoBackoff(), retries=3),  # per command; FailoverRetryingCluster adds time
        require_full_coverage=False,  # the shards of live nodes keep working while one fails over
        **options,
    )
    assert isinstance(client, FailoverRetryingCluster)
    client.failover_retry_s = settings.redis_failover_retry_ms / 1000
    return client


def is_cluster_outage(exc: BaseException) -> bool:
    """Whether a cluster-client error means "no node answers for this slot right now"."""
    if isinstance(exc, (*FAILOVER_ERRORS, rx.ClusterError, rx.SlotNotCoveredError)):
        return True
    if isinstance(exc, rx.RedisClusterException) and "cannot be connected" in str(exc):
        return True
    return is_connection_race(exc)


def is_connection_race(exc: BaseException) -> bool:
    """redis-py: a command racing the client's reset after a lost node finds its connection
    closed under it ('NoneType' object has no attribute 'writelines'; uvloop: handler is closed)."""
    if isinstance(exc, AttributeError):
        return "'NoneType' object has no attribute" in str(exc)
    return isinstance(exc, RuntimeError) and "handler is closed" in str(exc)


async def node_client(cluster: RedisCluster, settings: Settings) -> Redis:
    """A plain client of one live node (for SUBSCRIBE, which the async cluster client lacks)."""
    await cluster.initialize()
    node = cluster.get_random_node()
    tls = settings.redis_url.startswith("rediss://")
    options: dict[str, Any] = {"ssl_ca_certs": settings.redis_ca_cert} if tls else {}
    return Redis(
        host=node.host, port=int(node.port), password=settings.redis_password, ssl=tls,
        socket_connect_timeout=settings.redis_timeout_ms / 1000, decode_responses=True, **options,
    )  # fmt: skip


class ShardReaders:
    """One outstanding blocking XREADGROUP per shard; read() returns what any of them brought.

    Each read asks its shard for an equal share of the free slots, so a shard with a backlog is
    read no more often than an idle one: none starves. Entries are started (start.lua) as soon
    as they arrive, so their lease is the worker's from the first moment; a read that completes
    while the worker is busy is handed over on the next call (at most one extra share per shard
    beyond WORKER_CONCURRENCY). Reads still out at stop() end started-but-unrun: hand_back()
    returns them to the stream."""

    def __init__(self, client: Redis, streams: list[str], start: StartFn, margin_s: float) -> None:
        self._client = client
        self._margin_s = margin_s  # a read may answer this long after its BLOCK ends
        self._streams = streams
        self._start = start
        self._pending: dict[int, asyncio.Task[list[Delivery]]] = {}

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        """Deliveries from every shard whose read completed within block_ms (fair shares)."""
        share = max(1, -(-count // len(self._streams)))
        for shard, stream in enumerate(self._streams):
            if shard not in self._pending:
                read = self._read_one(shard, stream, consumer, share, block_ms)
                self._pending[shard] = asyncio.create_task(read)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + block_ms / 1000 + self._margin_s
        while self._pending and (left_s := deadline - loop.time()) > 0:
            await asyncio.wait(
                self._pending.values(), timeout=left_s, return_when=asyncio.FIRST_COMPLETED
            )
            deliveries = self._collect()
            if deliveries:
                return deliveries
        return []

    def take_done(self) -> list[Delivery]:
        """Deliveries of reads that completed since the last call, without waiting (errors are
        left to the next read(), which re-issues that shard's read)."""
        return self._collect(raise_errors=False)

    def _collect(self, *, raise_errors: bool = True) -> list[Delivery]:
        deliveries: list[Delivery] = []
        error: BaseException | None = None
        for shard, task in list(self._pending.items()):
            if task.done():
                del self._pending[shard]
                if task.exception() is None:
                    deliveries += task.result()
                else:
                    error = error or task.exception()
        if error is not None and not deliveries and raise_errors:
            raise error
        return deliveries

    async def _read_one(
        self, shard: int, stream: str, consumer: str, count: int, block_ms: int
    ) -> list[Delivery]:
        answer = await self._client.xreadgroup(
            GROUP, consumer, {stream: ">"}, count=count, block=block_ms
        )
        entries = [(str(e), str(f["id"])) for _, rows in answer or [] for e, f in rows]
        return await self._start(shard, entries) if entries else []

    async def stop(self) -> None:
        """Let the outstanding reads end (within one BLOCK), so nothing arrives after hand_back;
        not cancelled: a command cut off mid-flight would leave its connection half used."""
        tasks = list(self._pending.values())
        self._pending.clear()
        await asyncio.gather(*tasks, return_exceptions=True)
