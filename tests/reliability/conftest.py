"""The fast versions of the chaos tests: same harness, small sizes, correctness asserted.

Each test prints its figures line (visible with -s, and in the assertion message on failure).
Timing goals (p99s) are printed by the chaos suite, not asserted here.
"""

from __future__ import annotations

from tests.chaos.harness import FAST
from tests.chaos.report import Result

__all__ = ["FAST", "assert_control", "assert_safe"]


def assert_safe(r: Result, *extra: str) -> None:
    """lost, unexpected, dup_effects, regressions all 0, plus every named goal met."""
    print(r.line())
    for name in ("lost", "unexpected", "dup_effects", "regressions"):
        assert r.figures.get(name) == 0, r.line()
    for text, ok in r.goals:
        if not extra or any(text.startswith(e) for e in extra):
            assert ok, f"goal missed: {text}\n{r.line()}"


def assert_control(r: Result) -> None:
    """The negative control must show the violation it exists for."""
    print(r.line())
    assert r.goals, r.line()
    for text, ok in r.goals:
        assert ok, f"negative control did not show its violation: {text}\n{r.line()}"
