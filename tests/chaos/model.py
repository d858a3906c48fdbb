"""R17: a Hypothesis RuleBasedStateMachine driving the real broker (real server, real Lua) with
the invariant "every job is in exactly one state and one place" checked after every step.

Places: stream-new (entry in the stream, not pending), PEL (pending entry), the scheduled ZSET,
the retry ZSET, terminal (none of those). Time is shrunk: the visibility timeout is 0 ms, so any
pending entry may be reclaimed at any step. RESEND_START=True adds the rule that re-sends
start.lua for entries just read — what the client's automatic retry does after a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from runtime.broker.protocol import Delivery, Settlement
from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.errors import TaskQueueError
from runtime.jobs import JobRequest, Outcome
from runtime.localserver import LocalServer
from tests.chaos.harness import Profile
from tests.chaos.report import Result

CONSUMERS = ("c0", "c1", "c2")
TERMINAL = ("succeeded", "dead", "cancelled")
_prefixes = itertools.count()
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)  # no shrinking: it can take minutes


class QueueMachine(RuleBasedStateMachine):
    """The broker as a state machine; `server_url` is set before the run."""

    server_url = ""
    resend_enabled = False

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        prefix = f"m{next(_prefixes)}-{int(time.time())}"
        s = Settings(_env_file=None, redis_url=self.server_url, queue_prefix=prefix,  # type: ignore[call-arg]
                     max_retries=1)  # fmt: skip
        self.broker = RedisBroker(s)
        self.keys = self.broker.shard_keys[0]
        self.run(self.broker.bootstrap())
        self.jobs: list[str] = []
        self.held: dict[str, tuple[str, Delivery]] = {}  # job id → (consumer, its delivery)
        self.last_read: list[tuple[str, str, str]] = []  # (consumer, entry, job id)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.broker.close())
        self.loop.close()

    # --- rules ------------------------------------------------------------------------------
    @rule(delay=st.sampled_from([0, 0, 0, 1]))
    def enqueue(self, delay: int) -> None:
        (created,) = self.run(self.broker.enqueue([JobRequest("noop", delay_ms=delay)]))
        self.jobs.append(created.job.id)

    @rule(consumer=st.sampled_from(CONSUMERS), count=st.integers(1, 3))
    def read(self, consumer: str, count: int) -> None:
        r = self.broker.redis
        answer = self.run(r.xreadgroup("workers", consumer, {self.keys.stream: ">"}, count=count))
        entries = [(str(e), str(f["id"])) for _, rows in answer for e, f in rows]
        self.last_read = [(consumer, e, j) for e, j in entries]
        started = self.run(self.broker._start(consumer, [(0, entries)])) if entries else []
        for d in started:
            self.held[d.job_id] = (consumer, d)

    @precondition(lambda self: self.resend_enabled and self.last_read)
    @rule()
    def resend_start(self) -> None:
        consumer = self.last_read[0][0]
        entries = [(e, j) for c, e, j in self.last_read if c == consumer]
        self.run(self.broker._start(consumer, [(0, entries)]))
        self.last_read = []

    @precondition(lambda self: self.held)
    @rule(data=st.data(), outcome=st.sampled_from([Outcome.SUCCEEDED, Outcome.RETRY, Outcome.DEAD]))
    def settle(self, data: st.DataObject, outcome: Outcome) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.held)))
        consumer, d = self.held.pop(job_id)
        s = Settlement(job_id, d.attempt, outcome, "" if outcome is Outcome.SUCCEEDED else "x", 0)
        self.run(self.broker.settle(consumer, [s]))  # stale (False) when it was taken over

    @rule(consumer=st.sampled_from(CONSUMERS))
    def crash(self, consumer: str) -> None:
        """The consumer dies: it never settles what it holds (its entries stay pending)."""
        self.held = {j: h for j, h in self.held.items() if h[0] != consumer}

    @rule(consumer=st.sampled_from(CONSUMERS))
    def reclaim(self, consumer: str) -> None:
        taken = self.run(self.broker.reclaim(consumer, 0, 10))
        for d in taken.lost:  # what Worker.settle_lost does: the lost attempt failed
            outcome = Outcome.RETRY if d.attempt <= d.max_retries else Outcome.DEAD
            self.run(
                self.broker.settle(consumer, [Settlement(d.job_id, d.attempt, outcome, "lost")])
            )
        for d in taken.fresh:
            self.held[d.job_id] = (consumer, d)

    @rule()
    def promote(self) -> None:
        time.sleep(0.002)  # scheduled jobs are due 1 ms after enqueue
        self.run(self.broker.promote_due(100))

    @precondition(lambda self: self.jobs)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(self.jobs))
        with contextlib.suppress(TaskQueueError):  # already finished
            self.run(self.broker.cancel(job_id))

    @rule()
    def gc(self) -> None:
        self.run(self.broker.remove_idle_consumers(0))

    # --- the invariant ------------------------------------------------------------------------
    @invariant()
    def one_state_one_place(self) -> None:
        if self.jobs:
            problems = self.run(check_places(self.broker, self.jobs))
            assert not problems, problems


async def check_places(broker: RedisBroker, jobs: list[str]) -> list[str]:
    """Every job: its status and exactly the one place that status implies."""
    r, k = broker.redis, broker.shard_keys[0]
    stream = {str(f["id"]): str(e) for e, f in await r.xrange(k.stream)}
    pel = {
        str(p["message_id"]) for p in await r.xpending_range(k.stream, "workers", "-", "+", 10_000)
    }
    delayed = set(await r.zrange(k.delayed, 0, -1))
    retries = set(await r.zrange(k.retries, 0, -1)) if hasattr(k, "retries") else set()
    problems = []
    for job_id in jobs:
        status = await r.hget(k.job_prefix + job_id, "status")
        entry = stream.get(job_id)
        places = {
            "stream-new": entry is not None and entry not in pel, "pel": entry in pel,
            "scheduled": job_id in delayed, "retry": job_id in retries,
        }  # fmt: skip
        where = [name for name, here in places.items() if here]
        expected = {"queued": ["stream-new"], "running": ["pel"], "scheduled": ["scheduled"],
                    "retrying": ["retry"]}.get(str(status), [])  # fmt: skip
        if status is None or where != expected:
            problems.append(f"{job_id}: status={status} places={where}")
    return problems


def run_machine(examples: int, steps: int, resend_start: bool = False) -> tuple[int, str]:
    """Run the state machine on a server of its own; (examples run, first failure or '')."""
    with tempfile.TemporaryDirectory(prefix="dtq-r17-") as folder:
        server = LocalServer(Path(folder), appendonly=False).start()
        try:
            attrs = {"server_url": server.url, "resend_enabled": resend_start}
            machine = type("Machine", (QueueMachine,), attrs)
            case = machine.TestCase
            case.settings = settings(max_examples=examples, stateful_step_count=steps,
                                     deadline=None, database=None, phases=PHASES,
                                     suppress_health_check=list(HealthCheck))  # fmt: skip
            try:
                case("runTest").runTest()
            except AssertionError as exc:
                return examples, str(exc).splitlines()[0][:300]
            return examples, ""
        finally:
            server.stop(kill=True)


async def r17(p: Profile, resend_start: bool = False) -> list[Result]:
    """R17: ≥ 200 examples × 50 steps (ci), 30 × 30 (fast)."""
    examples, steps = (30, 30) if p.fast else (int(200 * p.scale), 50)
    started = time.monotonic()
    ran, failure = await asyncio.to_thread(run_machine, examples, steps, resend_start)
    r = Result("R17-resend-start" if resend_start else "R17")
    r.figures.update(examples=ran, steps=steps, failures=1 if failure else 0,
                     seconds=round(time.monotonic() - started, 1))  # fmt: skip
    if failure:
        r.figures["first_failure"] = failure.replace(" ", "_")
    r.goal("failures=0", not failure)
    return [r]
