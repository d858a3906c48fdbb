"""Processes a chaos run starts: the API (uvicorn) and a supervisor of worker processes.

Every process is started by us, tracked by its PID, and stopped by that PID (never by name).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from runtime.localserver import free_port

PYTHON = sys.executable


def base_env(redis_url: str, prefix: str, extra: dict[str, str]) -> dict[str, str]:
    """The environment every DTQ process of a run shares."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAOS_", "EFFECT_"))}
    env.update({
        "REDIS_URL": redis_url, "QUEUE_PREFIX": prefix, "TASK_MODULES": "tests.chaos.ledger",
        "LOG_LEVEL": "WARNING", "LOG_FORMAT": "text", "UI_DIST_DIR": "/nonexistent",
        "ENVIRONMENT": "development", "API_KEYS": "", "RATE_LIMIT_PER_S": "0",
    })  # fmt: skip
    env.update(extra)
    return env


def stop_process(
    proc: subprocess.Popen[bytes], *, kill: bool = False, timeout_s: float = 15
) -> int:
    """SIGTERM (or SIGKILL), wait; SIGKILL if it does not exit in time. The exit code."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            if kill:
                proc.kill()
            else:
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return int(proc.returncode)


@dataclass
class ApiProcess:
    """`python -m uvicorn runtime.api.main:app` on a free loopback port."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30) -> ApiProcess:
        cmd = [PYTHON, "-m", "uvicorn", "runtime.api.main:app", "--host", "127.0.0.1",
               "--port", str(self.port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"API exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/health/live", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError("API did not start")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


@dataclass
class Slot:
    """One worker position of the supervisor; each (re)start gets a fresh consumer name."""

    index: int
    proc: subprocess.Popen[bytes] | None = None
    generation: int = 0
    name: str = ""


@dataclass
class Supervisor:
    """Keeps `count` worker processes running; restarts one that exits with a fresh name."""

    env: dict[str, str]
    count: int
    log_dir: Path
    restart: bool = True
    restart_exit3: bool = True
    slot_env: dict[int, dict[str, str]] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)
    restarts: int = 0
    exits: list[int] = field(default_factory=list)
    started_names: list[str] = field(default_factory=list)
    every_proc: list[subprocess.Popen[bytes]] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: os.urandom(2).hex())

    def start(self) -> Supervisor:
        self.slots = [Slot(i) for i in range(self.count)]
        for slot in self.slots:
            self._spawn(slot)
        return self

    def _spawn(self, slot: Slot) -> None:
        slot.generation += 1
        slot.name = f"w{self.run_id}-{slot.index}-{slot.generation}"
        env = dict(self.env, WORKER_NAME=slot.name, **self.slot_env.get(slot.index, {}))
        with open(self.log_dir / f"worker-{slot.index}.log", "ab") as log:
            slot.proc = subprocess.Popen(
                [PYTHON, "-m", "runtime.worker"], env=env, stdout=log, stderr=log
            )
        self.started_names.append(slot.name)
        self.every_proc.append(slot.proc)

    def tick(self) -> None:
        """Restart every slot whose process exited (call this often)."""
        for slot in self.slots:
            if slot.proc is None or slot.proc.poll() is None:
                continue
            code = int(slot.proc.returncode)
            self.exits.append(code)
            slot.proc = None
            if self.restart and (code != 3 or self.restart_exit3):
                self.restarts += 1
                self._spawn(slot)

    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.slots if s.proc is not None and s.proc.poll() is None]

    def signal(self, index: int, sig: int) -> int | None:
        """Send `sig` to the worker of slot `index` (by PID); the PID, or None if none runs."""
        proc = self.slots[index].proc
        if proc is None or proc.poll() is not None:
            return None
        os.kill(proc.pid, sig)
        return proc.pid

    def stop(self) -> None:
        """SIGCONT + SIGTERM every worker at once, then wait for each (SIGKILL after 15 s)."""
        self.restart = False
        running = [s.proc for s in self.slots if s.proc is not None and s.proc.poll() is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
        for slot in self.slots:
            if slot.proc is not None:
                self.exits.append(stop_process(slot.proc, timeout_s=15))
                slot.proc = None
        for proc in self.every_proc:  # anything a restart race left behind
            if proc.poll() is None:
                stop_process(proc, kill=True)
            elif proc.returncode is None:
                proc.wait()

    def alive(self) -> int:
        return len(self.pids())
