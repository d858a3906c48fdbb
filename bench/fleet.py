"""`python -m bench.fleet N`: N worker processes as one command (for the harness's single worker
slot); SIGTERM/SIGINT is forwarded to every child and the exit waits for all of them."""

from __future__ import annotations

import signal
import subprocess
import sys
from types import FrameType


def main() -> int:
    """Start N workers, forward stop signals, return the worst exit code."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    children = [subprocess.Popen([sys.executable, "-m", "runtime.worker"]) for _ in range(count)]

    def forward(signum: int, frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return max(child.wait() for child in children)


if __name__ == "__main__":
    sys.exit(main())
