"""Browser tests: the stack as `make run` starts it, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("DTQ_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
READY_TIMEOUT_S = 45.0
STOP_TIMEOUT_S = 15.0
E2E_API_KEY = "e2e-operator-key"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"


@dataclass
class Stack:
    """A running `python -m runtime.dev`: embedded Valkey, the API serving ui/dist, one worker."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def api(self) -> httpx.Client:
        """An HTTP client for arranging scenarios through the API the UI uses."""
        return httpx.Client(base_url=self.base_url, timeout=10.0)

    def stop(self) -> None:
        """SIGTERM, which runtime.dev passes on to its children; kill the group if it lingers."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the stack printed, for failure messages."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    """A loopback port nobody is listening on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_stack(data_dir: Path, extra_env: dict[str, str] | None = None) -> Stack:
    """Start the local stack like `make run` and wait until /health/ready answers 200."""
    if not (ROOT / "ui" / "dist" / "index.html").exists():
        pytest.fail("ui/dist is missing: run `make ui-build` before the browser tests")
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DTQ_DATA_DIR": str(data_dir), **(extra_env or {})}
    log_path = data_dir / "stack.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "runtime.dev"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = Stack(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runtime.dev exited with {process.returncode}:\n{stack.log_tail()}")
        try:
            if httpx.get(f"{stack.base_url}/health/ready", timeout=1.0).status_code == 200:
                return stack
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stack.stop()
    pytest.fail(f"stack not ready within {READY_TIMEOUT_S}s:\n{stack.log_tail()}")


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """One stack shared by the scenarios that leave it running."""
    with tempfile.TemporaryDirectory(prefix="dtq-e2e-") as tmp:
        running = start_stack(Path(tmp))
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def own_stack() -> Iterator[Stack]:
    """A stack for a test that stops it on purpose."""
    with tempfile.TemporaryDirectory(prefix="dtq-e2e-own-") as tmp:
        running = start_stack(Path(tmp))
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def keyed_stack() -> Iterator[Stack]:
    """A stack that demands the API key E2E_API_KEY (admin role)."""
    digest = hashlib.sha256(E2E_API_KEY.encode()).hexdigest()
    with tempfile.TemporaryDirectory(prefix="dtq-e2e-keyed-") as tmp:
        running = start_stack(Path(tmp), {"API_KEYS": f"sha256:{digest}:admin"})
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (never a downloaded build)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: `apt-get install -y chromium` (.ci/run does this)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh desktop-sized page (1280 x 800) with its own storage."""
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        context.close()


def save_screenshot(page: Page, name: str) -> None:
    """Write test-artifacts/screenshots/<name>.png; refresh docs/screenshots/ when asked or missing.

    The docs copies are committed, so a normal test run does not rewrite them (that would dirty
    every checkout); set DTQ_UPDATE_SCREENSHOTS=1 to regenerate them.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image = page.screenshot(full_page=True, animations="disabled")
    (ARTIFACTS / f"{name}.png").write_bytes(image)
    doc = DOC_SCREENSHOTS / f"{name}.png"
    if os.environ.get("DTQ_UPDATE_SCREENSHOTS") == "1" or not doc.exists():
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        doc.write_bytes(image)
