"""cfn-lint over every synthesized template (it runs in the background from the first synth;
this module sorts last so the other tests overlap with it)."""

from __future__ import annotations

import pytest

from infra.assembly import stack_names
from infra.environments import ENVIRONMENTS
from tests.infra.conftest import Synthesized

STACKS = [name for env in ENVIRONMENTS.values() for name in stack_names(env)]


@pytest.mark.parametrize("stack", STACKS)
def test_cfn_lint_reports_no_error_and_no_warning(synthesized: Synthesized, stack: str) -> None:
    assert synthesized.lint_findings(stack) == []
