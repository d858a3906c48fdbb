"""Security tests: a figures line per test (also shown at the end of the run), API processes."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from runtime.config import Settings
from runtime.localserver import free_port

REPO = Path(__file__).resolve().parents[2]
FIGURES: list[str] = []
Figures = Callable[[str], None]


@pytest.fixture
def figures() -> Figures:
    """Record a test's figures line: printed now, and repeated in the run's summary."""

    def record(line: str) -> None:
        print(line)
        FIGURES.append(line)

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Every security figures line together, even under -q."""
    if FIGURES:
        terminalreporter.section("security figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@dataclass
class ApiProcess:
    """A uvicorn process serving runtime.api.main:app on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>."""
        return f"http://127.0.0.1:{self.port}"

    def rss_kb(self) -> int:
        """Resident memory of the process (VmRSS), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS line")


def api_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives `runtime.api.main` these settings (test tasks loaded)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "API_", "RATE_"))}
    env.update(
        REDIS_URL=settings.redis_url,
        QUEUE_PREFIX=settings.queue_prefix,
        API_KEYS=settings.api_keys,
        ENVIRONMENT=settings.environment,
        TASK_MODULES="tests.tasks",
        LOG_LEVEL="ERROR",
        LOG_FORMAT="text",
        UI_DIST_DIR="/nonexistent",
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def api_process(env: dict[str, str], *uvicorn_args: str) -> Iterator[ApiProcess]:
    """Start uvicorn with `env`, wait for /health/live, stop it (SIGTERM, then SIGKILL) after."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="dtq-sec-") as folder:
        log = Path(folder) / "api.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "runtime.api.main:app", "--host", "127.0.0.1",
                 "--port", str(port), "--no-access-log", *uvicorn_args],
                cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            )  # fmt: skip
        api = ApiProcess(process, port, log)
        try:
            _wait_live(api)
            yield api
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_live(api: ApiProcess, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    with httpx.Client(base_url=api.base_url, timeout=1.0) as client:
        while time.monotonic() < deadline:
            if api.process.poll() is not None:
                raise AssertionError(f"API exited: {api.log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if client.get("/health/ready").status_code == 200:
                    return
            time.sleep(0.05)
    raise AssertionError(f"API not ready in {timeout_s} s: {api.log.read_text()[-2000:]}")
