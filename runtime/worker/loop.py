"""Worker: claim → run → settle, with leases, reclaim, cancellation and a graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from runtime.broker.protocol import Broker, Delivery, Settlement
from runtime.config import Settings
from runtime.errors import BrokerUnavailable, EmptyBrokerDetected, PermanentError, WorkerLost
from runtime.jobs import Outcome
from runtime.logs import JobEventLog
from runtime.retry import DeadLetter, RetryPolicy, decide, describe
from runtime.tasks.registry import JobContext, Registry
from runtime.worker.runner import Finished, run_attempt

log = logging.getLogger("dtq.worker")

EXIT_OK = 0
EXIT_EMPTY_BROKER = 3


def default_worker_name() -> str:
    """host-pid-random: unique per process, so a restarted worker never reuses a consumer."""
    return f"{socket.gethostname()}-{os.getpid()}-{os.urandom(3).hex()}"


@dataclass(slots=True)
class InFlight:
    """A running attempt: its delivery, its context and the task that runs it."""

    delivery: Delivery
    ctx: JobContext
    task: asyncio.Task[None] | None = None
    started: float = field(default_factory=time.monotonic)
    handler_running: bool = False


class Worker:
    """One worker process's loop over every shard; run() returns the process exit code."""

    def __init__(
        self, broker: Broker, registry: Registry, settings: Settings, name: str | None = None
    ) -> None:
        self.broker = broker
        self.registry = registry
        self.settings = settings
        self.name = name or settings.worker_name or default_worker_name()
        self.in_flight: dict[str, InFlight] = {}  # claimed and not yet settled
        self.running = 0  # handlers running now: what WORKER_CONCURRENCY bounds
        self.processed = 0
        self.failed = 0
        self.started_ms = int(time.time() * 1000)
        self.exit_code = EXIT_OK
        self.events = JobEventLog(settings, self.name)
        self._pool = ThreadPoolExecutor(max_workers=min(settings.worker_concurrency, 64))
        self._done: list[Settlement] = []
        self._done_ready = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._stopping = asyncio.Event()
        self._shutting_down = False

    # --- lifecycle ------------------------------------------------------------------------
    def stop(self) -> None:
        """Begin a graceful stop (SIGTERM/SIGINT): stop reading, let in-flight jobs finish."""
        self._stopping.set()

    def fail_loudly(self, exc: EmptyBrokerDetected) -> None:
        """Stop at once with EXIT_EMPTY_BROKER: the server lost its data."""
        log.critical("%s", exc)
        self.exit_code = EXIT_EMPTY_BROKER
        self._stopping.set()

    async def run(self) -> int:
        """Work until stop() is called, then drain; the exit code for the process."""
        from runtime.worker.maintenance import Maintenance

        log.info("worker %s starting (concurrency %d)", self.name, self.settings.worker_concurrency)
        reader = asyncio.create_task(self._read_loop(), name="read")
        settler = asyncio.create_task(self._settle_loop(), name="settle")
        upkeep = Maintenance(self).start()
        await self._stopping.wait()
        reader.cancel()
        await asyncio.wait([reader], timeout=5)
        await self._drain()
        settler.cancel()
        await upkeep.stop()
        try:
            await asyncio.wait_for(self._leave(), 15)
        except TimeoutError:
            log.warning("hand-back did not finish in 15 s; unfinished jobs will be reclaimed")
        self._pool.shutdown(wait=False, cancel_futures=True)
        log.info("worker %s stopped (exit %d)", self.name, self.exit_code)
        return self.exit_code

    async def _drain(self) -> None:
        grace = self.settings.worker_shutdown_grace_s
        deadline = time.monotonic() + grace
        while self.in_flight and time.monotonic() < deadline and self.exit_code == EXIT_OK:
            self._slot_free.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._slot_free.wait(), deadline - time.monotonic())
        self._shutting_down = True
        unfinished = [f.task for f in self.in_flight.values() if f.task is not None]
        for t in unfinished:
            t.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        await self._flush()
        if unfinished:
            log.warning("%d job(s) unfinished after %.1f s grace", len(unfinished), grace)

    async def _leave(self) -> None:
        if self.exit_code == EXIT_EMPTY_BROKER:
            return
        try:
            handed = await self.broker.hand_back(self.name)
            if handed:
                log.info("handed %d unfinished job(s) back to the queue", handed)
            await self.broker.remove_idle_consumers(0, only=self.name)
            await self.broker.forget_worker(self.name)
        except BrokerUnavailable as exc:
            log.warning("could not hand back jobs (they will be reclaimed): %s", exc)

    # --- claim and run --------------------------------------------------------------------
    async def _read_loop(self) -> None:
        s = self.settings
        # refill in batches: wait until half the slots (at most a batch) are free, so reads stay
        # large while finished jobs are settled in the background
        refill = max(1, min(s.worker_batch_size, s.worker_concurrency // 2))
        while not self._stopping.is_set():
            free = s.worker_concurrency - self.running
            if free < (refill if self.running else 1):
                self._slot_free.clear()
                await self._slot_free.wait()
                continue
            count = min(free, s.worker_batch_size)
            try:
                # with a backlog, one round trip claims and starts a batch; only an empty claim
                # falls back to the blocking read (which wakes as soon as work arrives)
                deliveries = await self.broker.claim(self.name, count)
                if not deliveries:
                    deliveries = await self.broker.read(self.name, count, s.worker_block_ms)
            except EmptyBrokerDetected as exc:
                self.fail_loudly(exc)
                return
            except BrokerUnavailable as exc:
                log.warning("read failed, retrying: %s", exc)
                await asyncio.sleep(0.5)
                continue
            except Exception:
                # the read loop must outlive anything unexpected: a dead reader would leave a
                # worker that heartbeats but never works
                log.exception("read failed unexpectedly, retrying")
                await asyncio.sleep(1.0)
                continue
            self.launch(deliveries)

    def launch(self, deliveries: list[Delivery]) -> None:
        """Start running freshly claimed attempts."""
        self.running += len(deliveries)
        for d in deliveries:
            flight = InFlight(d, JobContext(d.job_id, d.attempt, d.task_type))
            self.in_flight[d.job_id] = flight
            if d.cancel_requested:
                flight.ctx.request_cancel()
            flight.task = asyncio.create_task(self._execute(flight))

    async def _execute(self, flight: InFlight) -> None:
        d = flight.delivery
        if flight.ctx.is_cancelled():
            finished = Finished(cancelled=True)
        else:
            spec = self.registry.get(d.task_type)
            flight.handler_running = True
            finished = await run_attempt(spec, d, flight.ctx, self._pool)
            flight.handler_running = False
        if self._shutting_down and finished.cancelled and not flight.ctx.is_cancelled():
            return  # interrupted by shutdown: hand_back() returns it to the queue
        self.finish(self.settlement(d, finished), time.monotonic() - flight.started, finished)

    def settlement(self, d: Delivery, finished: Finished) -> Settlement:
        """Turn a handler's ending into what settle.lua records (Python decides retries)."""
        if finished.cancelled:
            return Settlement(d.job_id, d.attempt, Outcome.CANCELLED, "cancelled while running")
        if finished.error is None:
            return Settlement(d.job_id, d.attempt, Outcome.SUCCEEDED, finished.result_json)
        return self.failure(d, finished.error)

    def failure(self, d: Delivery, error: BaseException) -> Settlement:
        """Retry after backoff or dead-letter, by the job's, task's or queue's policy."""
        if d.deliveries > self.settings.max_deliveries:
            error = PermanentError(
                f"delivered {d.deliveries} times (crash loop?): {describe(error)}"
            )
        choice = decide(self.policy_for(d), d.attempt, error, jitter=random.random())
        if isinstance(choice, DeadLetter):
            return Settlement(d.job_id, d.attempt, Outcome.DEAD, choice.reason)
        return Settlement(d.job_id, d.attempt, Outcome.RETRY, describe(error), choice.delay_ms)

    def policy_for(self, d: Delivery) -> RetryPolicy:
        """The retry policy of one job: its own overrides, then the task's, then the queue's."""
        s, spec = self.settings, self.registry.get(d.task_type)
        initial = d.initial_backoff_ms or (spec and spec.initial_backoff_ms) or s.initial_backoff_ms
        ceiling = d.max_backoff_ms or (spec and spec.max_backoff_ms) or s.max_backoff_ms
        return RetryPolicy(d.max_retries, initial, max(initial, ceiling))

    def finish(
        self, settlement: Settlement, duration_s: float, finished: Finished, *, ran: bool = True
    ) -> None:
        """Queue a settlement for the next batch, free the handler's slot, log the job event."""
        self._done.append(settlement)
        self._done_ready.set()
        if ran:
            self.running -= 1
            self._slot_free.set()
        self.events.attempt_ended(settlement, duration_s, finished.error)

    def settle_lost(self, lost: list[Delivery]) -> None:
        """Attempts whose worker died: count them as failed ('worker lost') and settle."""
        for d in lost:
            if d.job_id in self.in_flight:
                continue  # our own attempt, still running: its lease renewal was late
            self.in_flight[d.job_id] = InFlight(d, JobContext(d.job_id, d.attempt, d.task_type))
            error = WorkerLost(f"worker stopped answering during attempt {d.attempt}")
            self.finish(self.failure(d, error), 0.0, Finished(error=error), ran=False)

    # --- settle ---------------------------------------------------------------------------
    async def _settle_loop(self) -> None:
        while True:
            await self._done_ready.wait()
            self._done_ready.clear()
            await self._flush()

    async def _flush(self) -> None:
        while self._done:
            batch, self._done = self._done, []
            try:
                accepted = await self.broker.settle(self.name, batch)
            except BrokerUnavailable as exc:
                log.warning("settle failed, retrying: %s", exc)
                self._done = batch + self._done
                await asyncio.sleep(0.5)
                continue
            for s, ok in zip(batch, accepted, strict=True):
                self.in_flight.pop(s.job_id, None)
                self.processed += 1
                if s.outcome in (Outcome.RETRY, Outcome.DEAD):
                    self.failed += 1
                if not ok:
                    log.warning(
                        "job %s attempt %d was taken over; result dropped", s.job_id, s.attempt
                    )
            self._slot_free.set()

    # --- timeouts and cancellation --------------------------------------------------------
    def enforce_deadlines(self) -> None:
        """Stop every running attempt past its timeout (called every DEADLINE_INTERVAL_S)."""
        now = time.monotonic()
        for flight in self.in_flight.values():
            overdue = now - flight.started > flight.delivery.timeout_s
            if overdue and flight.handler_running and not flight.ctx.is_timed_out():
                flight.ctx.mark_timed_out()
                if flight.task is not None:
                    flight.task.cancel()

    def cancel_local(self, job_id: str) -> None:
        """Stop a running attempt of ours whose cancel was requested."""
        flight = self.in_flight.get(job_id)
        if flight is None or flight.ctx.is_cancelled():
            return
        flight.ctx.request_cancel()
        if flight.task is not None and flight.handler_running:
            flight.task.cancel()  # not yet running: _execute sees the flag and never calls it
