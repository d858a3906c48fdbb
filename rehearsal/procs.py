"""Process helpers: liveness by PID, children of a PID, stop by PID, reaping orphaned services.

The hook scripts start services in their own sessions and exit, so the services are orphans. The
rehearsal makes itself their child subreaper (PR_SET_CHILD_SUBREAPER) and reaps them, so no
zombie is left behind and a stopped service really disappears from /proc.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux); False when the kernel call is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _stat(pid: int) -> tuple[str, int] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    """Whether pid runs (a zombie does not count)."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def children(ppid: int) -> set[int]:
    """PIDs of the live processes whose parent is ppid."""
    found: set[int] = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == ppid and stat[0] != "Z":
                found.add(int(entry.name))
    return found


def reap(pids: set[int], exits: dict[int, int | None]) -> None:
    """waitpid() those of pids that exited and became our children (orphans we adopted); each
    leaves pids for exits with its exit code (negative: killed by that signal; None: unknown)."""
    for pid in list(pids):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            if _stat(pid) is None:  # gone, reaped by someone else; else not (yet) our child
                pids.discard(pid)
                exits[pid] = None
            continue
        if done:
            pids.discard(pid)
            exits[pid] = os.waitstatus_to_exitcode(status)


def runs_dtq(pid: int) -> bool:
    """Whether pid is a live process of the DTQ runtime (guards against a reused PID)."""
    try:
        return alive(pid) and b"runtime" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def stop_pid(pid: int, timeout_s: float = 25.0) -> None:
    """SIGTERM a DTQ process, SIGKILL it after timeout_s; no-op when it does not run."""
    if not runs_dtq(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def read_pid(path: Path) -> int | None:
    """The PID in a pid file, or None."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
