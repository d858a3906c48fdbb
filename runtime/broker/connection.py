"""Redis clients built from Settings, and the translation of Redis failures into domain errors."""

from __future__ import annotations

from typing import Any, cast

from redis import exceptions as rx
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from runtime.broker.cluster import connect_cluster, is_cluster_outage
from runtime.config import Settings
from runtime.errors import BrokerUnavailable, EmptyBrokerDetected


def connect(settings: Settings, *, blocking: bool = False) -> Redis:
    """A client for the queue's server; `blocking` clients wait past the longest BLOCK.

    With REDIS_CLUSTER the client is a RedisCluster: the same command API, typed as Redis so
    one code path serves both (the few cluster-only paths check `is_cluster`)."""
    timeout_s = settings.redis_timeout_ms / 1000
    if blocking:
        timeout_s += settings.worker_block_ms / 1000
    options: dict[str, Any] = {
        "password": settings.redis_password,
        "socket_timeout": timeout_s,
        "socket_connect_timeout": settings.redis_timeout_ms / 1000,
        "decode_responses": True,
        "health_check_interval": 15,
        # one transparent resend after a broken connection (e.g. the server restarted): every
        # script tolerates running twice — enqueue and start recognise their own earlier run,
        # settle is fenced on owner and attempt. Timeouts are not resent: each already took
        # REDIS_TIMEOUT_MS (a resend, and the connect inside it, made a cut answer after ~4×)
        "retry": Retry(
            ExponentialBackoff(cap=0.2, base=0.02),
            retries=1,
            supported_errors=(rx.ConnectionError,),
        ),
        "max_connections": 4 if blocking else 256,
    }
    if settings.redis_url.startswith("rediss://") and settings.redis_ca_cert:
        options["ssl_ca_certs"] = settings.redis_ca_cert
    if settings.redis_cluster:
        # per node: one blocking read per shard may wait on the same node
        options["max_connections"] = settings.shards + 4 if blocking else 256
        return cast(Redis, connect_cluster(settings, options))
    return Redis.from_pool(ConcurrentConnectPool.from_url(settings.redis_url, **options))


class ConcurrentConnectPool(ConnectionPool):
    """A ConnectionPool that connects outside its lock, so each caller waits for its own connect.

    redis-py ≥ 5.3 holds the pool lock while a new connection connects and says hello: when the
    server is cut off every caller then queues behind the connect timeouts of those before it
    (a request waits n × REDIS_TIMEOUT_MS). Taking a connection needs no lock on one event loop:
    nothing awaits between choosing it and marking it in use."""

    async def get_connection(
        self, command_name: object = None, *keys: object, **options: object
    ) -> AbstractConnection:
        """A connected connection from the pool (connecting it if need be, bounded by the
        connect and socket timeouts)."""
        connection: AbstractConnection = self.get_available_connection()  # type: ignore[no-untyped-call]
        try:
            await self.ensure_connection(connection)
        except BaseException:
            await self.release(connection)
            raise
        return connection


async def reset_connections(client: Redis) -> None:
    """Drop pooled connections so the next command reconnects (and re-reads a slot map)."""
    pool = getattr(client, "connection_pool", None)
    if pool is not None:
        await pool.disconnect()
    else:
        await client.aclose()  # a RedisCluster re-initialises on its next command


UNAVAILABLE = (rx.ConnectionError, rx.TimeoutError, rx.BusyLoadingError)
# what a server that became a replica answers besides READONLY (WAIT after a write it accepted)
REPLICA_REFUSALS = ("WAIT cannot be used with replica",)


def unannotated(answers: list[Any]) -> list[Any]:
    """Pipeline answers from `execute(raise_on_error=False)`; the first error is raised as the
    server sent it (redis-py's own raise replaces its text, hiding READONLY and the like)."""
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer
    return answers


class translated_errors:
    """Turn outages, failovers and out-of-memory refusals into BrokerUnavailable (→ 503).

    A small class rather than @asynccontextmanager: it wraps every broker call, so it is kept
    to two method calls with no generator behind them."""

    __slots__ = ("client",)

    def __init__(self, client: Redis) -> None:
        self.client = client

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> bool:
        if isinstance(exc, TimeoutError | OSError):
            # a connect or read cut short below redis-py (asyncio's own timeout, a reset socket)
            raise BrokerUnavailable(f"the queue's server is unreachable: {exc!r}") from exc
        if exc is None or not isinstance(
            exc, (rx.RedisError, rx.RedisClusterException, AttributeError, RuntimeError)
        ):
            return False
        if isinstance(exc, rx.ReadOnlyError) or str(exc).startswith(REPLICA_REFUSALS):
            # a failover turned our server into a replica: drop pooled connections so the next
            # command reconnects to whatever the address now points at
            await reset_connections(self.client)
            raise BrokerUnavailable(
                "the queue's server is read-only (failover in progress)"
            ) from exc
        if isinstance(exc, UNAVAILABLE) or is_cluster_outage(exc):
            raise BrokerUnavailable(f"the queue's server is unreachable: {exc}") from exc
        if isinstance(exc, rx.OutOfMemoryError):
            raise BrokerUnavailable("the queue's server is out of memory") from exc
        if isinstance(exc, rx.ResponseError):
            text = str(exc)
            if text.startswith(("UNBLOCKED", "LOADING", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN")):
                raise BrokerUnavailable(f"the queue's server is failing over: {text}") from exc
            if text.startswith("OOM"):
                raise BrokerUnavailable("the queue's server is out of memory") from exc
            if text.startswith("NOGROUP"):
                raise EmptyBrokerDetected("consumer group gone: the server lost its data") from exc
        return False
