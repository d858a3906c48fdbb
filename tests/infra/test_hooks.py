"""The CodeDeploy hooks run through lib.sh's seam: what the local rehearsal relies on."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from runtime.broker.protocol import WorkerInfo
from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.localserver import LocalServer

ROOT = Path(__file__).resolve().parents[2]
REVISION = ROOT / "infra" / "revision"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/dtq@sha256:" + "a" * 64
SEAM_FUNCTIONS = (
    "imds_get",
    "read_secret",
    "read_release_pointer",
    "write_release_pointer",
    "prepare_host",
    "pull_image",
    "write_secret_env",
    "api_key",
    "start_role",
    "stop_role",
    "local_worker",
    "complete_lifecycle_action",
)
SEAM = "\n".join(f'{name}() {{ echo "{name} $*" >>"$CALLS"; }}' for name in SEAM_FUNCTIONS) + (
    '\napi_key() { echo "probe-key"; }\n'
    # the local worker: absent with NO_WORKER; with RESTARTS, a new one each time it is asked
    "local_worker() {\n"
    '  echo "local_worker" >>"$CALLS"\n'
    '  [[ -z "${NO_WORKER:-}" ]] || return 1\n'
    '  [[ -z "${RESTARTS:-}" ]] || { echo "w$(grep -c local_worker "$CALLS")"; return; }\n'
    "  echo w1\n"
    "}\n"
    # instance metadata: the Auto Scaling target lifecycle state is $LIFECYCLE_STATE
    "imds_get() {\n"
    '  echo "imds_get $*" >>"$CALLS"\n'
    '  [[ "$1" != meta-data/autoscaling/target-lifecycle-state ]] || echo "${LIFECYCLE_STATE:-}"\n'
    "}\n"
)
LIFECYCLE_STATE = "imds_get meta-data/autoscaling/target-lifecycle-state"


@pytest.fixture
def revision(tmp_path: Path) -> Path:
    """A copy of infra/revision as the release CLI bundles it, with its release.env."""
    bundle = tmp_path / "bundle"
    shutil.copytree(REVISION, bundle)
    (bundle / "release.env").write_text(f"IMAGE={IMAGE}\n")
    (tmp_path / "seam.sh").write_text(SEAM)
    return bundle


def run_hook(revision: Path, hook: str, **env: str) -> tuple[int, list[str]]:
    """Run hooks/<hook> with the recording seam; returns the exit code and the seam calls."""
    calls = revision.parent / "calls.log"
    calls.unlink(missing_ok=True)
    environment = {
        "PATH": os.environ["PATH"],
        "DTQ_HOOK_SEAM": str(revision.parent / "seam.sh"),
        "DTQ_CONFIG_DIR": str(revision.parent / "no-config"),
        "CALLS": str(calls),
        "DTQ_WORKER_SETTLE_S": "0",
        "DTQ_POLL_S": "0.2",
        "DTQ_JOB_POLL_S": "0.2",
        "DTQ_RUN_DIR": str(revision.parent / "run"),
        "DTQ_REVISION_DIR": str(revision.parent / "installed"),
        **env,
    }
    result = subprocess.run(
        ["bash", str(revision / "hooks" / hook)], env=environment, capture_output=True, timeout=30
    )
    return result.returncode, calls.read_text().splitlines() if calls.exists() else []


def test_lib_documents_and_defines_every_seam_function() -> None:
    lib = (REVISION / "hooks" / "lib.sh").read_text()
    header = lib.split("\n\n", 1)[0]
    for name in SEAM_FUNCTIONS:
        assert f"\n{name}() {{" in lib, name
        assert name in header, name
    assert lib.rstrip().endswith('source "${DTQ_HOOK_SEAM}"\nfi')


def test_every_hook_is_strict_and_sources_lib() -> None:
    for hook in sorted((REVISION / "hooks").glob("*.sh")):
        if hook.name == "lib.sh":
            continue
        text = hook.read_text()
        assert "set -euo pipefail" in text, hook.name
        assert 'source "$(dirname "$0")/lib.sh"' in text, hook.name


def test_application_stop_drains_the_worker_then_the_api(revision: Path) -> None:
    code, calls = run_hook(revision, "application_stop.sh")
    assert code == 0
    assert calls == ["stop_role worker", "stop_role api"]


def test_application_stop_waits_for_a_drain_already_under_way(revision: Path) -> None:
    run = revision.parent / "run"
    run.mkdir()
    holder = subprocess.Popen(["flock", str(run / "stop.lock"), "sleep", "1"])
    try:
        time.sleep(0.2)
        started = time.monotonic()
        code, calls = run_hook(revision, "application_stop.sh")
        assert time.monotonic() - started > 0.6  # it took its turn
    finally:
        holder.wait()
    assert (code, calls) == (0, ["stop_role worker", "stop_role api"])


def test_termination_drain_does_nothing_while_the_instance_is_in_service(revision: Path) -> None:
    for state in ("InService", ""):
        assert run_hook(revision, "drain_on_termination.sh", LIFECYCLE_STATE=state) == (
            0,
            [LIFECYCLE_STATE],
        )


def test_termination_drain_drains_once_then_completes_the_lifecycle_action(
    revision: Path,
) -> None:
    drained = [LIFECYCLE_STATE, "stop_role worker", "stop_role api", "complete_lifecycle_action "]
    assert run_hook(revision, "drain_on_termination.sh", LIFECYCLE_STATE="Terminated") == (
        0,
        drained,
    )
    # the timer fires again before the group has terminated the instance: nothing to drain
    assert run_hook(revision, "drain_on_termination.sh", LIFECYCLE_STATE="Terminated") == (
        0,
        [LIFECYCLE_STATE, "complete_lifecycle_action "],
    )


def test_termination_drain_runs_the_installed_revisions_application_stop(revision: Path) -> None:
    installed = revision.parent / "installed" / "hooks"
    installed.mkdir(parents=True)
    (installed / "application_stop.sh").write_text('echo "installed revision" >>"$CALLS"\n')
    code, calls = run_hook(revision, "drain_on_termination.sh", LIFECYCLE_STATE="Terminated")
    assert (code, calls) == (
        0,
        [LIFECYCLE_STATE, "installed revision", "complete_lifecycle_action "],
    )


def test_install_and_start_use_the_revision_image(revision: Path) -> None:
    assert run_hook(revision, "before_install.sh") == (0, ["prepare_host "])
    assert run_hook(revision, "after_install.sh") == (
        0,
        [f"pull_image {IMAGE}", "write_secret_env "],
    )
    code, calls = run_hook(revision, "application_start.sh")
    assert code == 0
    assert calls == [f"start_role api {IMAGE}", f"start_role worker {IMAGE}"]


class FakeApi(BaseHTTPRequestHandler):
    """Just enough of the DTQ API for ValidateService: readiness, POST /jobs, GET /jobs/{id}."""

    final_status = "succeeded"
    polls = 0
    keys: ClassVar[list[str | None]] = []

    def _reply(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        """Readiness and job status (queued once, then the final status)."""
        if self.path == "/health/ready":
            self._reply(200, {"status": "ready"})
            return
        FakeApi.keys.append(self.headers.get("X-API-Key"))
        FakeApi.polls += 1
        self._reply(
            200, {"id": "j1", "status": "queued" if FakeApi.polls == 1 else self.final_status}
        )

    def do_POST(self) -> None:
        """Accept the probe job."""
        FakeApi.keys.append(self.headers.get("X-API-Key"))
        self._reply(201, {"id": "j1", "status": "queued"})

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def fake_api() -> Iterator[str]:
    """The fake API on a free loopback port."""
    FakeApi.polls, FakeApi.keys, FakeApi.final_status = 0, [], "succeeded"
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_validate_service_checks_the_local_worker_round_trips_a_job_then_moves_the_pointer(
    revision: Path, fake_api: str
) -> None:
    code, calls = run_hook(revision, "validate_service.sh", DTQ_API_URL=fake_api)
    assert code == 0
    # found before the probe job, and still the same worker after it
    assert calls == ["local_worker", "local_worker", f"write_release_pointer {IMAGE}"]
    assert set(FakeApi.keys) == {"probe-key"}


def test_validate_service_fails_without_moving_the_pointer_when_the_job_dies(
    revision: Path, fake_api: str
) -> None:
    FakeApi.final_status = "dead"
    code, calls = run_hook(revision, "validate_service.sh", DTQ_API_URL=fake_api)
    assert code != 0
    assert "write_release_pointer" not in " ".join(calls)


def test_validate_service_fails_when_this_host_runs_no_worker(
    revision: Path, fake_api: str
) -> None:
    # the probe job would succeed (another instance's worker runs it): the local check decides
    code, calls = run_hook(
        revision, "validate_service.sh", DTQ_API_URL=fake_api, NO_WORKER="1",
        DTQ_READY_TIMEOUT_S="1",
    )  # fmt: skip
    assert code != 0
    assert set(calls) == {"local_worker"}
    assert FakeApi.polls == 0  # no probe job was sent


def test_validate_service_fails_when_the_local_worker_restarted(
    revision: Path, fake_api: str
) -> None:
    code, calls = run_hook(revision, "validate_service.sh", DTQ_API_URL=fake_api, RESTARTS="1")
    assert code != 0
    assert calls == ["local_worker", "local_worker"]


def test_validate_service_fails_when_the_api_never_gets_ready(revision: Path) -> None:
    code, calls = run_hook(
        revision, "validate_service.sh", DTQ_API_URL="http://127.0.0.1:9", DTQ_READY_TIMEOUT_S="1"
    )
    assert code != 0
    assert calls == []


def test_heartbeat_probe_names_the_worker_of_this_host_and_pid(tmp_path: Path) -> None:
    """lib.sh's heartbeat_probe against a real server, with a heartbeat the runtime wrote."""
    server = LocalServer(tmp_path / "valkey", appendonly=False).start()
    try:
        env = {"PATH": os.environ["PATH"], "REDIS_URL": server.url, "ENVIRONMENT": "test"}

        async def beat() -> None:
            broker = RedisBroker(Settings(redis_url=server.url))
            info = WorkerInfo(
                name="worker-under-test", host=socket.gethostname(), pid=4242, started_ms=0,
                heartbeat_ms=int(time.time() * 1000), concurrency=1, in_flight=0, processed=0,
                failed=0,
            )  # fmt: skip
            try:
                await broker.heartbeat(info, 60_000)
            finally:
                await broker.close()

        asyncio.run(beat())
        script = subprocess.run(
            ["bash", "-c", f'source "{REVISION}/hooks/lib.sh"; heartbeat_probe'],
            env={"PATH": os.environ["PATH"], "DTQ_CONFIG_DIR": str(tmp_path)},
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

        def probe(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-", *args], input=script, env=env, cwd=ROOT,
                capture_output=True, text=True, timeout=30,
            )  # fmt: skip

        assert probe("4242").stdout.strip() == "worker-under-test"
        assert probe().stdout.strip() == "worker-under-test"  # in a container: any PID
        assert probe("4243").returncode == 1  # another process of this host: not our worker
    finally:
        server.stop()
