"""R6a/R6c/R7/R12 (fast): server kill -9, empty restart, failover, out of memory."""

from __future__ import annotations

import pytest

from tests.chaos import t_failover, t_server
from tests.reliability.conftest import FAST, assert_control, assert_safe

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]


async def test_r6a_server_kill9_with_aof_always_loses_nothing() -> None:
    (r,) = await t_server.r6a(FAST)
    assert_safe(r)
    assert r.figures["api_5xx"] == 0 and r.figures["missing_retry_after"] == 0


async def test_r6a_control_without_persistence_loses_acked_jobs() -> None:
    (r,) = await t_server.r6a(FAST, control=True)
    assert_control(r)


async def test_r6c_empty_server_is_detected() -> None:
    (r,) = await t_server.r6c(FAST)
    print(r.line())
    assert r.met, r.line()


async def test_r6c_control_without_epoch_check_is_not_detected() -> None:
    (r,) = await t_server.r6c(FAST, control=True)
    assert_control(r)


async def test_r7_failover_with_wait_loses_nothing() -> None:
    (r,) = await t_failover.r7(FAST)
    assert_safe(r)


async def test_r12_out_of_memory_answers_503_never_500() -> None:
    (r,) = await t_server.r12(FAST)
    assert_safe(r)
    assert r.figures["api_500"] == 0 and r.figures["api_503_on_oom"] > 0, r.line()


async def test_r12_control_volatile_lru_evicts_idempotency_keys() -> None:
    (r,) = await t_server.r12(FAST, control=True)
    assert_control(r)
