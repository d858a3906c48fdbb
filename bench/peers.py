"""Where the shared peer harness lives, imported once for every DTQ benchmark."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS_DIR = Path(os.environ.get("PEERS_DIR", REPO.parent / "shared" / "bench" / "peers"))
if not (PEERS_DIR / "harness.py").exists():
    raise SystemExit(f"peer harness not found at {PEERS_DIR} (set PEERS_DIR)")
sys.path.insert(0, str(PEERS_DIR))

import harness  # noqa: E402

__all__ = ["PEERS_DIR", "REPO", "harness"]
