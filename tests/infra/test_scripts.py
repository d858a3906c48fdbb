"""Linters over the shell scripts and the Dockerfile."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.infra.templates import TOOLS_BIN

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [
    ROOT / "infra" / "userdata.sh",
    *sorted((ROOT / "infra" / "revision" / "hooks").glob("*.sh")),
]


def test_user_data_and_hooks_are_shellcheck_clean() -> None:
    result = subprocess.run(
        [str(TOOLS_BIN / "shellcheck"), "-x", "--severity=style", *map(str, SCRIPTS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
    assert len(SCRIPTS) == 8


def test_dockerfile_is_hadolint_clean() -> None:
    result = subprocess.run(
        [str(TOOLS_BIN / "hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_image_build_context_is_an_allow_list() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*"
    assert {"!runtime/", "!ui/", "!requirements.txt", "ui/node_modules/"} <= set(rules)
