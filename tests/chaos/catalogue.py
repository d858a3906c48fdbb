"""Every chaos test by id: R2 also runs R2-control, etc. Values: (profile) → list of Results."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from tests.chaos import t_delivery, t_failover, t_network, t_queue, t_retry, t_server
from tests.chaos.harness import Profile
from tests.chaos.report import Result

TestFn = Callable[[Profile], Awaitable[list[Result]]]


def _control(fn: Callable[..., Awaitable[list[Result]]]) -> TestFn:
    return functools.partial(fn, control=True)


def _r17(p: Profile, resend_start: bool = False) -> Awaitable[list[Result]]:
    from tests.chaos import model

    return model.r17(p, resend_start=resend_start)


TESTS: dict[str, TestFn] = {
    "R1": t_delivery.r1,
    "R2": t_delivery.r2, "R2-control": _control(t_delivery.r2),
    "R3": t_delivery.r3, "R3-control": _control(t_delivery.r3),
    "R4": t_delivery.r4, "R4-control": _control(t_delivery.r4),
    "R5": t_delivery.r5,
    "R6a": t_server.r6a, "R6a-control": _control(t_server.r6a),
    "R6b": t_server.r6b,
    "R6c": t_server.r6c, "R6c-control": _control(t_server.r6c),
    "R7": t_failover.r7, "R7-nowait": _control(t_failover.r7),
    "R8": t_network.r8, "R8-control": _control(t_network.r8),
    "R9": t_network.r9, "R9-control": _control(t_network.r9),
    "R10": t_network.r10,
    "R11": t_queue.r11, "R11-control": _control(t_queue.r11),
    "R12": t_server.r12, "R12-control": _control(t_server.r12),
    "R13": t_queue.r13, "R13-control": _control(t_queue.r13),
    "R14": t_retry.r14,
    "R15": t_retry.r15,
    "R17": _r17, "R17-resend-start": functools.partial(_r17, resend_start=True),
}  # fmt: skip

# inside the network namespace R8 runs its body directly
INNER: dict[str, TestFn] = {"R8": t_network.r8_inner, "R8-control": _control(t_network.r8_inner)}


def select(ids: list[str]) -> list[str]:
    """Test names for the ids asked for: 'R2' → R2 and R2-control; no ids → all."""
    if not ids:
        return list(TESTS)
    wanted = {i.upper() if not i.lower().startswith("r6") else i for i in ids}
    chosen = [name for name in TESTS if name in wanted or name.split("-")[0] in wanted]
    unknown = [i for i in ids if not any(n == i or n.split("-")[0] == i for n in TESTS)]
    if unknown:
        raise SystemExit(f"unknown test id(s): {', '.join(unknown)}; known: {', '.join(TESTS)}")
    return chosen
