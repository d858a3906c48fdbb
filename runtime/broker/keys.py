"""queue_keys(): every Redis key, stream and channel name, built in one place.

All keys of one shard share the hash tag `{<shard>}`, so every script touches one slot and Redis
Cluster works. Scripts receive a shard's `QueueKeys` as KEYS in this field order and build per-job
keys by appending the job id (or idempotency key, or time bucket) to the `*_prefix` keys.
"""

from __future__ import annotations

from typing import NamedTuple

GROUP = "workers"  # the one consumer group every worker joins


class QueueKeys(NamedTuple):
    """The keys of one shard, in the order every Lua script receives them as KEYS[1..10]."""

    stream: str  # job stream: one entry per runnable job (deleted when acked)
    dead: str  # dead-letter stream: one entry per dead job
    delayed: str  # ZSET job id → due ms: scheduled jobs (created with delay_ms)
    expiry: str  # ZSET job id → ms when a finished job and its index entries are deleted
    stats: str  # HASH of counters: created, completed, failed, retried, dead, cancelled, stale
    job_prefix: str  # HASH per job: <job_prefix><id>
    index_prefix: str  # lex ZSETs of ids: <index_prefix>all, and per terminal status
    idempotency_prefix: str  # STRING per key: <idempotency_prefix><tenant>:<key> → "id|digest"
    series_prefix: str  # HASH per 10 s bucket: <series_prefix><bucket> → created/completed/...
    retries: str  # ZSET job id → due ms: jobs waiting for their next attempt (status retrying)


class GlobalKeys(NamedTuple):
    """Keys that belong to no shard."""

    workers: str  # ZSET worker name → last heartbeat ms
    worker_prefix: str  # STRING per worker (JSON), with a TTL: <worker_prefix><name>
    cancel_channel: str  # pub/sub channel: job ids whose running attempt must stop
    epoch: str  # STRING written at bootstrap; gone means the server lost its data


def queue_keys(prefix: str, stream_name: str, dlq_name: str, shard: int) -> QueueKeys:
    """The keys of one shard, e.g. `dtq:{0}:jobs`."""
    base = f"{prefix}:{{{shard}}}:"
    return QueueKeys(
        stream=base + stream_name,
        dead=base + dlq_name,
        delayed=base + "delayed",
        expiry=base + "expiry",
        stats=base + "stats",
        job_prefix=base + "job:",
        index_prefix=base + "idx:",
        idempotency_prefix=base + "idem:",
        series_prefix=base + "ts:",
        retries=base + "retries",
    )


def global_keys(prefix: str) -> GlobalKeys:
    """Keys that belong to no shard, e.g. `dtq:workers`."""
    return GlobalKeys(
        workers=f"{prefix}:workers",
        worker_prefix=f"{prefix}:worker:",
        cancel_channel=f"{prefix}:cancel",
        epoch=f"{prefix}:epoch",
    )


def job_key(keys: QueueKeys, job_id: str) -> str:
    """The hash that holds one job."""
    return keys.job_prefix + job_id


def index_key(keys: QueueKeys, status: str) -> str:
    """The lex ZSET of job ids in one status, or of all jobs for status 'all'."""
    return keys.index_prefix + status
