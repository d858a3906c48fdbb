"""Loads lua/*.lua once; one typed method per script. The only place that orders KEYS and ARGV."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from redis.commands.core import AsyncScript

from runtime.broker.keys import GROUP, QueueKeys
from runtime.broker.protocol import Settlement

LUA_DIR = Path(__file__).parent / "lua"

EnqueueItem = tuple[str, str, str, int, list[str]]  # id, idempotency key, digest, delay, fields


class Scripts:
    """Typed wrappers over lua/*.lua, registered once per client (EVALSHA, loaded on demand)."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis
        self._scripts: dict[str, AsyncScript] = {
            path.stem: redis.register_script(path.read_text())
            for path in sorted(LUA_DIR.glob("*.lua"))
        }

    async def _call(self, name: str, keys: QueueKeys, args: Sequence[Any]) -> Any:
        return await self._scripts[name](keys=list(keys), args=list(args))

    async def enqueue(
        self, keys: QueueKeys, items: Sequence[EnqueueItem], idempotency_ttl_s: int
    ) -> list[list[Any]]:
        """Create jobs on one shard; per job [code (1 new, 2 replay, 3 conflict), id, now_ms]."""
        args = [idempotency_ttl_s, orjson.dumps(items)]
        result: list[list[Any]] = await self._call("enqueue", keys, args)
        return result

    async def start(
        self, keys: QueueKeys, consumer: str, entries: Sequence[tuple[str, str]], read: int = 0
    ) -> list[list[Any]]:
        """Mark entries (entry id, job id) running, or with no entries read up to `read` new ones
        first (one round trip); see start.lua for the row layout."""
        args: list[Any] = [consumer, GROUP, len(entries)]
        if not entries:
            args.append(read)
        for entry, job_id in entries:
            args += [entry, job_id]
        result: list[list[Any]] = await self._call("start", keys, args)
        return result

    async def settle(
        self, keys: QueueKeys, consumer: str, result_ttl_ms: int, settlements: Sequence[Settlement]
    ) -> list[int]:
        """Record finished attempts; per attempt 1 settled, 0 stale (not this consumer's)."""
        args: list[Any] = [consumer, GROUP, result_ttl_ms, len(settlements)]
        for s in settlements:
            args += [s.job_id, s.attempt, s.outcome.value, s.value, s.delay_ms]
        result: list[int] = await self._call("settle", keys, args)
        return result

    async def promote_due(self, keys: QueueKeys, limit: int) -> list[int]:
        """Move due scheduled/retrying jobs to the stream: [promoted, ms to next due or -1]."""
        result: list[int] = await self._call("promote_due", keys, [limit])
        return result

    async def cancel(
        self, keys: QueueKeys, job_id: str, result_ttl_ms: int, channel: str, tenant: str
    ) -> list[Any]:
        """Cancel one job: [code (0 missing, 1 cancelled, 2 finished, 3 requested), status]."""
        args = [job_id, GROUP, result_ttl_ms, channel, tenant]
        result: list[Any] = await self._call("cancel", keys, args)
        return result

    async def reclaim(
        self, keys: QueueKeys, consumer: str, min_idle_ms: int, count: int, cursor: str
    ) -> list[Any]:
        """Take over stalled entries: [lost rows, fresh rows, next cursor]; see reclaim.lua."""
        args = [GROUP, consumer, min_idle_ms, count, cursor]
        result: list[Any] = await self._call("reclaim", keys, args)
        return result

    async def renew(self, keys: QueueKeys, consumer: str, job_ids: Sequence[str]) -> list[Any]:
        """Renew leases of owned running jobs: [renewed count, ids with cancel requested]."""
        result: list[Any] = await self._call("renew", keys, [GROUP, consumer, *job_ids])
        return result

    async def hand_back(self, keys: QueueKeys, consumer: str, limit: int) -> int:
        """Return a stopping consumer's unfinished work to the stream; the count handed back."""
        return int(await self._call("hand_back", keys, [GROUP, consumer, limit]))

    async def replay(self, keys: QueueKeys, job_ids: Sequence[str], tenant: str) -> list[int]:
        """Re-queue dead jobs; per id 1 replayed, 0 missing, 2 not dead."""
        result: list[int] = await self._call("replay", keys, [tenant, *job_ids])
        return result

    async def purge_dead(self, keys: QueueKeys, limit: int) -> int:
        """Delete up to `limit` dead jobs; the count deleted."""
        return int(await self._call("purge_dead", keys, [limit]))

    async def sweep_expired(self, keys: QueueKeys, limit: int) -> int:
        """Delete up to `limit` finished jobs past retention; the count deleted."""
        return int(await self._call("sweep_expired", keys, [limit]))

    async def list_jobs(
        self,
        keys: QueueKeys,
        index: str,
        before: str,
        limit: int,
        filters: tuple[str, str, str, str],
        budget: int,
    ) -> list[Any]:
        """One page from an index: [frontier id or '', [[id, flat hash], ...]]."""
        args = [index, before, limit, *filters, budget]
        result: list[Any] = await self._call("list_jobs", keys, args)
        return result

    async def remove_consumer(self, keys: QueueKeys, idle_ms: int, only: str) -> int:
        """Delete idle consumers with nothing pending (one named, or all); the count deleted."""
        return int(await self._call("remove_consumer", keys, [GROUP, idle_ms, only]))
