"""R1–R5 (fast): control, worker kill -9, SIGSTOP past min-idle, lease renewal, poison jobs."""

from __future__ import annotations

import pytest

from tests.chaos import t_delivery
from tests.reliability.conftest import FAST, assert_control, assert_safe

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]


async def test_r1_control_no_faults() -> None:
    (r,) = await t_delivery.r1(FAST)
    assert_safe(r)
    assert r.figures["duplicates"] == 0 and r.figures["completed"] == r.figures["accepted"] > 0


async def test_r2_worker_kill9_loses_nothing_and_reclaims_in_time() -> None:
    (r,) = await t_delivery.r2(FAST)
    assert_safe(r)
    assert r.figures["kills"] >= 1


async def test_r2_control_bare_incr_applies_effects_twice() -> None:
    (r,) = await t_delivery.r2(FAST, control=True)
    assert_control(r)


async def test_r3_stale_owner_completion_changes_nothing() -> None:
    (r,) = await t_delivery.r3(FAST)
    assert_safe(r)
    assert r.figures["stale_completions_applied"] == 0


async def test_r3_control_unfenced_settle_applies_stale_results() -> None:
    (r,) = await t_delivery.r3(FAST, control=True)
    assert_control(r)


async def test_r4_lease_renewal_keeps_long_jobs() -> None:
    (r,) = await t_delivery.r4(FAST)
    assert_safe(r)
    assert r.figures["reclaims"] == 0 and r.figures["duplicates"] == 0


async def test_r4_control_without_renewal_runs_jobs_twice() -> None:
    (r,) = await t_delivery.r4(FAST, control=True)
    assert_control(r)


async def test_r5_poison_jobs_end_dead_healthy_jobs_flow() -> None:
    (r,) = await t_delivery.r5(FAST)
    assert_safe(r)
