"""`python -m tests.chaos [IDs...] [--long] [--profile fast|ci|long] [--json]`

Runs the delivery and fault tests of RELIABILITY.md (R1–R15, R17; `R2` also runs `R2-control`),
prints one line of figures per test and exits 1 when a goal is missed. Default profile: `ci`
(the CI sizes of the catalogue, e.g. R1 = 200 jobs/s × 60 s); `--long` = `--profile long`.
Every process a test starts is stopped by its PID before the next test begins.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from tests.chaos.catalogue import INNER, TESTS, select
from tests.chaos.harness import PROFILES
from tests.chaos.report import Result


async def run_tests(names: list[str], profile: str, as_json: bool, inner: bool) -> bool:
    """Run each test in turn; print its line (or JSON); True when every goal was met."""
    p = PROFILES[profile]
    ok = True
    for name in names:
        fn = INNER.get(name) if inner else None
        started = time.monotonic()
        try:
            results = await (fn or TESTS[name])(p)
        except Exception as exc:  # a harness failure is a missed goal, reported as such
            results = [
                Result(name, {"error": f"{type(exc).__name__}: {exc}"[:200]}, [("ran", False)])
            ]
        for r in results:
            r.figures["run_s"] = round(time.monotonic() - started, 1)
            ok &= r.met
            if as_json:
                print(
                    json.dumps(
                        {"id": r.test_id, "figures": r.figures, "goals": r.goals}, default=str
                    )
                )
            else:
                print(r.line(), flush=True)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("ids", nargs="*", help="test ids (default: all)")
    parser.add_argument("--long", action="store_true", help="the long profile")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="ci")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    profile = "long" if args.long else args.profile
    names = args.ids if args.inner else select(args.ids)
    ok = asyncio.run(run_tests(names, profile, args.json, args.inner))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
