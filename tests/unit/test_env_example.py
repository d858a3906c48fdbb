"""`.env.example` lists every setting, so operators can see every knob in one place."""

from __future__ import annotations

import re
from pathlib import Path

from runtime.config import Settings

EXAMPLE = Path(__file__).parents[2] / ".env.example"


def test_env_example_names_every_setting_and_nothing_else() -> None:
    names = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), re.MULTILINE))
    assert names == {name.upper() for name in Settings.model_fields}
