"""`python -m infra.synth`: templates of every environment into cdk.out/, offline, no credentials.

Runs the cdk-nag checks too (an unacknowledged finding fails the synth) and prints the number of
resources per environment and stack, and each environment's pinned AMI: an unpinned one is
synthesized with the latest AL2023 for review, but `cdk deploy` refuses it.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from pathlib import Path

from infra.ami import load_pins
from infra.assembly import REPO_ROOT, build_app, select_environments


def resource_counts(outdir: Path) -> dict[str, int]:
    """Resources per synthesized template, keyed by stack name."""
    counts = {}
    for template in sorted(outdir.glob("*.template.json")):
        resources = json.loads(template.read_text()).get("Resources", {})
        counts[template.name.removesuffix(".template.json")] = len(resources)
    return counts


def main(argv: list[str] | None = None) -> int:
    """Synthesize all (or the named) environments and print resource counts."""
    args = sys.argv[1:] if argv is None else argv
    outdir = REPO_ROOT / "cdk.out"
    shutil.rmtree(outdir, ignore_errors=True)  # no stale templates or assets from earlier runs
    configs = [env for name in (args or [None]) for env in select_environments(name)]
    build_app(configs, outdir=str(outdir)).synth()
    counts = resource_counts(outdir)
    per_env: Counter[str] = Counter()
    for stack, count in counts.items():
        per_env[stack.split("-")[1]] += count
        print(f"{stack:28} {count:4d} resources")
    for env, count in per_env.items():
        print(f"{env:28} {count:4d} resources in total")
    pins = load_pins()
    for config in configs:
        pin = pins.get(config.name)
        status = f"{pin.image_id} ({pin.name})" if pin else "NOT PINNED: cdk deploy refuses it"
        print(f"{config.name:28} AMI {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
