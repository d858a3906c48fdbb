"""Maintenance: the periodic chores of a worker (promote, reclaim, renew, sweep, GC, heartbeat)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from runtime.broker.protocol import WorkerInfo
from runtime.errors import BrokerUnavailable, EmptyBrokerDetected

if TYPE_CHECKING:
    from runtime.worker.loop import Worker

log = logging.getLogger("dtq.worker")

PROMOTE_INTERVAL_S = 0.05
SWEEP_INTERVAL_S = 5.0
BATCH = 200  # bounded work per script call
DEADLINE_INTERVAL_S = 0.05  # attempts are stopped within this long after their timeout


class Maintenance:
    """Runs each chore on its own timer; a chore's failure is logged and retried next time."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.broker = worker.broker
        self._tasks: list[asyncio.Task[None]] = []
        # loops also check this flag: a cancellation that a client library turns into a timeout
        # error (then retried as an outage) must not keep a chore alive past stop()
        self._stopped = False
        self._cancel_listener: asyncio.Task[None] | None = None

    def start(self) -> Maintenance:
        """Start every chore and the cancel listener."""
        s = self.worker.settings
        chores: list[tuple[float, Callable[[], Awaitable[None]]]] = [
            (PROMOTE_INTERVAL_S, self.promote),
            (s.reclaim_interval_ms / 1000, self.reclaim),
            (s.visibility_timeout_ms / 3000, self.renew),
            (SWEEP_INTERVAL_S, self.sweep),
            (s.heartbeat_interval_ms / 1000, self.heartbeat),
        ]
        if s.consumer_gc_interval_s > 0:
            chores.append((s.consumer_gc_interval_s, self.collect_consumers))
        self._tasks = [asyncio.create_task(self._every(i, c)) for i, c in chores]
        self._tasks.append(asyncio.create_task(self._enforce_deadlines()))
        self._tasks.append(asyncio.create_task(self._listen_for_cancels()))
        return self

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Stop every chore (bounded: a chore that ignores cancellation is abandoned, logged)."""
        self._stopped = True
        for t in self._tasks:
            t.cancel()
        _, stuck = await asyncio.wait(self._tasks, timeout=timeout_s)
        for t in stuck:
            log.error("chore %s did not stop within %.0f s; abandoned", t.get_coro(), timeout_s)

    async def _every(self, interval_s: float, chore: Callable[[], Awaitable[None]]) -> None:
        while not self._stopped:
            try:
                await chore()
            except EmptyBrokerDetected as exc:
                self.worker.fail_loudly(exc)
                return
            except BrokerUnavailable as exc:
                log.warning("%s failed, will retry: %s", chore.__name__, exc)
            except Exception:
                # a chore must outlive anything unexpected (a client library bug after a
                # failover): one that dies silently stops reclaiming, promoting or renewing
                log.exception("%s failed unexpectedly, will retry", chore.__name__)
            await asyncio.sleep(interval_s)

    async def promote(self) -> None:
        """Move due retries and scheduled jobs onto the streams."""
        while await self.broker.promote_due(BATCH) >= BATCH:
            pass

    async def reclaim(self) -> None:
        """Take over entries of dead or stalled workers."""
        w = self.worker
        free = w.settings.worker_concurrency - len(w.in_flight)
        if free <= 0 or w._stopping.is_set():
            return
        taken = await self.broker.reclaim(
            w.name, w.settings.visibility_timeout_ms, min(free, BATCH)
        )
        if taken.lost:
            log.warning("took over %d job(s) from lost workers", len(taken.lost))
            w.settle_lost(taken.lost)
        w.launch(taken.fresh)

    async def renew(self) -> None:
        """Renew leases on our running jobs; stop those whose cancel we missed."""
        w = self.worker
        if w.in_flight:
            for job_id in await self.broker.renew(w.name, list(w.in_flight)):
                w.cancel_local(job_id)

    async def sweep(self) -> None:
        """Delete finished jobs past retention."""
        while await self.broker.sweep_expired(BATCH) >= BATCH:
            pass

    async def collect_consumers(self) -> None:
        """Delete long-idle consumers with nothing pending (never one that holds entries)."""
        removed = await self.broker.remove_idle_consumers(self.worker.settings.consumer_gc_idle_ms)
        if removed:
            log.info("removed %d idle consumer(s) with nothing pending", removed)

    async def heartbeat(self) -> None:
        """Publish liveness and counters, and check the server still holds our data."""
        await self.broker.check_epoch()
        w = self.worker
        info = WorkerInfo(
            name=w.name, host=socket.gethostname(), pid=os.getpid(), started_ms=w.started_ms,
            heartbeat_ms=int(time.time() * 1000), concurrency=w.settings.worker_concurrency,
            in_flight=len(w.in_flight), processed=w.processed, failed=w.failed,
        )  # fmt: skip
        await self.broker.heartbeat(info, 3 * w.settings.heartbeat_interval_ms)
        if w.events.metrics_due():
            live = len(await self.broker.workers())
            w.events.emit_metrics(await self.broker.stats(), info, live)

    async def _enforce_deadlines(self) -> None:
        while not self._stopped:
            await asyncio.sleep(DEADLINE_INTERVAL_S)
            self.worker.enforce_deadlines()

    async def _listen_for_cancels(self) -> None:
        while not self._stopped:
            try:
                async for job_id in self.broker.cancellations():
                    self.worker.cancel_local(job_id)
                    if self._stopped:
                        break
            except BrokerUnavailable as exc:
                log.warning("cancel listener reconnecting: %s", exc)
            await asyncio.sleep(1.0)
