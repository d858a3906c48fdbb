"""The rehearsal's stack: Valkey, two instances booted with release v1, nginx in front, the load
generator; and a cleanup that stops every process it started, by PID, whatever happened."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from rehearsal.codedeploy import Deployer, TargetGroup, build_revision
from rehearsal.fleet import REPO, ROLES, Fleet, Instance, Secrets
from rehearsal.nginx import Nginx
from rehearsal.procs import alive, become_subreaper, reap, runs_dtq
from rehearsal.timeline import Timeline
from runtime.config import Settings
from runtime.localserver import LocalServer


@dataclass(frozen=True)
class RunConfig:
    """Sizes and timeouts of one run (`full()` for `make rehearse`, `short()` for the tests)."""

    rate: float = 200.0
    baseline_s: float = 20.0
    gap_s: float = 5.0
    tail_s: float = 3.0
    ready_timeout_s: int = 20  # DTQ_READY_TIMEOUT_S: how long ValidateService waits for ready
    drain_timeout_s: float = 10.0  # BlockTraffic: in-flight requests must end within this
    job_drain_s: float = 60.0  # final drain: accepted jobs must be terminal within this
    control_s: float = 5.0
    bad_mode: str = "ready"  # v3 never gets ready (ready) or refuses the probe job (probe)
    keep: bool = False

    @classmethod
    def short(cls, **overrides: object) -> RunConfig:
        """A few seconds per phase."""
        values: dict[str, object] = {"baseline_s": 4.0, "gap_s": 1.0, "tail_s": 1.0}
        values |= {"job_drain_s": 30.0, "control_s": 3.0, "bad_mode": "probe"}
        return cls(**(values | overrides))  # type: ignore[arg-type]


def set_password(port: int, password: str) -> None:
    """CONFIG SET requirepass on a fresh server: clients need the secret from now on."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"CONFIG SET requirepass {password}\r\n".encode())
        if not s.recv(64).startswith(b"+OK"):
            raise RuntimeError("could not set the server's password")


def wait_ready(url: str, timeout_s: float = 30.0) -> None:
    """Poll url until it answers 200."""
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
            if answer.status == 200:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} not ready after {timeout_s:.0f} s")
        time.sleep(0.1)


@dataclass
class Stack:
    """Everything one run starts; use as `async with Stack(cfg) as stack:`."""

    cfg: RunConfig
    timeline: Timeline = field(default_factory=Timeline)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dtq-rehearsal-")))
    secrets: Secrets = field(default_factory=Secrets)
    server: LocalServer | None = None
    lb: Nginx | None = None
    instances: list[Instance] = field(default_factory=list)
    deployer: Deployer | None = None
    generator_pid: int | None = None
    failed: bool = False
    exits: dict[int, int | None] = field(default_factory=dict)  # service pid → exit code
    _reaper: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Stack:
        become_subreaper()
        self._reaper = asyncio.create_task(self._reap_forever())
        try:
            self._start()  # blocks the loop for a few seconds: nothing else runs yet
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        self.server = LocalServer(self.workdir / "valkey").start()
        set_password(self.server.port, self.secrets.redis_password)
        fleet = Fleet(self.workdir, self.server.url, self.secrets, built_image="dtq:v1",
                      bad_release="v3", bad_mode=self.cfg.bad_mode,
                      ready_timeout_s=self.cfg.ready_timeout_s)  # fmt: skip
        for release in ("v1", "v2", "v3"):
            build_revision(self.workdir / "revisions", release)
        self.instances = [Instance(f"instance-{n}", fleet) for n in (1, 2)]
        for instance in self.instances:
            with self.timeline.span(instance.name, "boot (user-data) v1"):
                instance.boot()
            # as if v1 had been deployed by CodeDeploy: its ApplicationStop runs first
            instance.last_good_archive = self.revision("v1")
        for instance in self.instances:
            wait_ready(f"{instance.api_url}/health/ready")
        self.lb = Nginx(self.workdir / "nginx", [i.api_port for i in self.instances]).start()
        targets = TargetGroup(self.lb, self.instances, self.cfg.drain_timeout_s)
        self.deployer = Deployer(self.instances, targets, self.timeline)
        self.deployer.last_good = self.revision("v1")

    def handed_back(self) -> int:
        """Jobs the stopped workers handed back unfinished (from their logs)."""
        pattern = re.compile(r"handed (\d+) unfinished job")
        logs = [i.run_dir / "worker.log" for i in self.instances]
        text = "".join(p.read_text(errors="replace") for p in logs if p.exists())
        return sum(int(n) for n in pattern.findall(text))

    def revision(self, release: str) -> Path:
        """The bundle of a release."""
        return self.workdir / "revisions" / release

    def settings(self) -> Settings:
        """Runtime settings to read the queue directly (the final drain check)."""
        assert self.server is not None
        return Settings(redis_url=self.server.url, redis_password=self.secrets.redis_password)

    async def _reap_forever(self) -> None:
        while True:
            self.reap()
            await asyncio.sleep(0.2)

    def reap(self) -> None:
        """Collect the exit codes of the services that stopped since the last call."""
        reap(self._service_pids() - self.exits.keys(), self.exits)

    def exit_codes(self) -> dict[str, dict[int | None, int]]:
        """Per role: exit code → how many processes of that role ended with it (so far)."""
        self.reap()
        out: dict[str, dict[int | None, int]] = {role: {} for role in ROLES}
        for instance in self.instances:
            for pid, role in instance.roles.items():
                if pid in self.exits:
                    code = self.exits[pid]
                    out[role][code] = out[role].get(code, 0) + 1
        return out

    def _service_pids(self) -> set[int]:
        pids: set[int] = set()
        for instance in self.instances:
            pids |= instance.note_pids() | instance.pids_seen
        return pids

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        if self.generator_pid is not None and alive(self.generator_pid):
            os.kill(self.generator_pid, signal.SIGKILL)  # interrupted: its history is not needed
        if self.lb is not None:
            self.lb.stop()
        self._stop_services()
        if self.server is not None:
            self.server.stop()
        self.reap()
        if kind is not None or self.failed or self.cfg.keep:
            print(f"rehearsal: logs kept in {self.workdir}", file=sys.stderr, flush=True)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _stop_services(self, timeout_s: float = 30.0) -> None:
        """SIGTERM every DTQ process any instance ever ran (workers first), SIGKILL stragglers."""
        by_role = [[i.pid(r) for i in self.instances] for r in ROLES]
        pids = [p for group in by_role for p in group if p] + sorted(self._service_pids())
        live = [p for p in dict.fromkeys(pids) if runs_dtq(p)]
        for pid in live:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while any(alive(p) for p in live) and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.05)
        for pid in live:
            if alive(pid):
                print(f"rehearsal: pid {pid} still runs after {timeout_s:.0f} s", file=sys.stderr)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


class Load:
    """The generator process: start it, wait until it fires, stop it, read its history."""

    def __init__(self, proc: asyncio.subprocess.Process, out: Path) -> None:
        self.proc = proc
        self.out = out

    @classmethod
    async def start(cls, stack: Stack, max_s: float) -> Load:
        """Start firing at stack.cfg.rate through the load balancer."""
        assert stack.lb is not None
        out = stack.workdir / "load.json"
        env = dict(os.environ, DTQ_REHEARSAL_LOAD_KEY=stack.secrets.load_key)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rehearsal.load", "--url", stack.lb.url, "--out", str(out),
            "--rate", str(stack.cfg.rate), "--max-s", str(max_s), cwd=REPO, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        load = cls(proc, out)
        stack.generator_pid = proc.pid
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
        except BaseException:
            await load.kill()
            raise
        if not line.startswith(b"started"):
            await load.kill()
            raise RuntimeError("the load generator did not start")
        return load

    async def stop(self) -> dict[str, Any]:
        """SIGTERM, wait for the answers still out, read the history."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        finally:
            await self.kill()
        return dict(json.loads(self.out.read_text()))

    async def kill(self) -> None:
        """SIGKILL if it still runs."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
