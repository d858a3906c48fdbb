"""R11/R13/R14/R15/R17 (fast): backlog, consumer churn, backoff, cancel races, state machine."""

from __future__ import annotations

import pytest

from tests.chaos import model, t_queue, t_retry
from tests.reliability.conftest import FAST, assert_control, assert_safe

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]


async def test_r11_backlog_drains_and_stream_returns_to_zero() -> None:
    (r,) = await t_queue.r11(FAST)
    assert_safe(r, "completed", "stream_len_after")
    assert r.figures["stream_len_after"] == 0, r.line()


async def test_r11_control_maxlen_trim_loses_jobs() -> None:
    (r,) = await t_queue.r11(FAST, control=True)
    assert_control(r)


async def test_r13_consumer_churn_gc_drops_nothing() -> None:
    (r,) = await t_queue.r13(FAST)
    assert_safe(r)


async def test_r13_control_delconsumer_with_pending_loses_jobs() -> None:
    (r,) = await t_queue.r13(FAST, control=True)
    assert_control(r)


async def test_r14_backoff_delays_within_bounds() -> None:
    (r,) = await t_retry.r14(FAST)
    assert_safe(r)


async def test_r15_cancel_races_one_terminal_state_never_run_after_cancel() -> None:
    (r,) = await t_retry.r15(FAST)
    assert_safe(r)
    assert r.figures["ran_after_cancel"] == 0, r.line()


async def test_r17_state_machine_one_state_one_place() -> None:
    (r,) = await model.r17(FAST)
    print(r.line())
    assert r.met, r.line()


async def test_r17_resent_start_keeps_the_job_in_one_place() -> None:
    """start.lua re-sent for entries it already started (the client's automatic retry after a
    timeout, or a reader that woke up after its entries were reclaimed) must not ack them."""
    (r,) = await model.r17(FAST, resend_start=True)
    print(r.line())
    assert r.met, r.line()
