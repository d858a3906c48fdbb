"""`python -m tests.infra.background OUTDIR`: synthesize every environment with cdk-nag, then
cfn-lint the templates into OUTDIR/cfn-lint.json.

conftest.py starts this at collection time so the work overlaps with the tests that need no
template; CDK_DOCKER points at a missing binary, so synthesis provably needs no Docker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from infra.assembly import build_app
from infra.environments import ENVIRONMENTS

LINT_REPORT = "cfn-lint.json"  # read by conftest.py


def main(outdir: Path) -> int:
    """Synthesize, then lint; a failed synth (e.g. a cdk-nag finding) exits non-zero."""
    os.environ["CDK_DOCKER"] = str(outdir / "no-docker-here")
    build_app(ENVIRONMENTS.values(), outdir=str(outdir)).synth()
    regions = sorted({env.region for env in ENVIRONMENTS.values()})
    templates = sorted(str(p) for p in outdir.glob("*.template.json"))
    lint = [str(Path(sys.executable).parent / "cfn-lint"), "--format", "json", "--regions"]
    with (outdir / f"{LINT_REPORT}.tmp").open("w") as report:
        subprocess.run([*lint, *regions, "--", *templates], stdout=report, check=False)
    (outdir / f"{LINT_REPORT}.tmp").rename(outdir / LINT_REPORT)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
