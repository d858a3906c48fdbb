"""`make rehearse` = `python -m rehearsal [--short] [--control] [--keep] [--rate N]`."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from rehearsal.run import Outcome, control, rolling_update
from rehearsal.stack import RunConfig


def parse(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="python -m rehearsal", description=__doc__)
    p.add_argument("--short", action="store_true", help="a few seconds per phase (tests)")
    p.add_argument(
        "--control",
        action="store_true",
        help="negative control: SIGTERM an API still in the load balancer; must show failures",
    )
    p.add_argument(
        "--bad",
        choices=("ready", "probe", "worker"),
        help="how release v3 is broken: its API never gets ready (default of the full run), "
        "it is ready but refuses the probe job (default of --short, fails faster), or its "
        "worker crashes at start",
    )
    p.add_argument("--keep", action="store_true", help="keep the work directory and its logs")
    p.add_argument("--rate", type=float, default=200.0, help="requests per second (default 200)")
    return p.parse_args(argv)


async def _main(args: argparse.Namespace) -> Outcome:
    config = RunConfig.short if args.short else RunConfig
    overrides: dict[str, object] = {"rate": args.rate, "keep": args.keep}
    if args.bad:
        overrides["bad_mode"] = args.bad
    cfg = config(**overrides)  # type: ignore[arg-type]
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await (control(cfg) if args.control else rolling_update(cfg))


def main(argv: list[str] | None = None) -> int:
    """Run one scenario, print its report; the exit code says whether its goals were met."""
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        outcome = asyncio.run(_main(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("rehearsal: interrupted; every process it started was stopped", file=sys.stderr)
        return 130
    print(("control: " if args.control else "") + outcome.report(), flush=True)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
