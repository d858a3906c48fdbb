"""The local fleet: two "instances", each an API and a worker process with its own config and run
directory, configured the way fleet.py's user-data configures an EC2 instance."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from infra.environments import Timeouts
from rehearsal.procs import read_pid, runs_dtq
from runtime.localserver import free_port

REPO = Path(__file__).resolve().parents[1]
HOOKS = REPO / "infra" / "revision" / "hooks"
SEAM = Path(__file__).resolve().parent / "seam.sh"
ROLES = ("worker", "api")

# The tail of infra/userdata.sh (packages and agents aside): start what the pointer names.
USER_DATA = """\
set -euo pipefail
export DTQ_HOOK=user-data
source "${DTQ_REHEARSAL_HOOKS}/lib.sh"
prepare_host
image="$(read_release_pointer)"
pull_image "${image}"
write_secret_env
start_role api "${image}"
start_role worker "${image}"
log "instance ready with ${image}"
"""


def _env_file(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))


@dataclass
class Secrets:
    """What Secrets Manager holds on AWS: the Redis AUTH token and the API keys secret."""

    redis_password: str = field(default_factory=lambda: secrets.token_hex(16))
    probe_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    load_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def api_keys_secret(self) -> str:
        """The JSON secret write_secret_env reads: operators' keys plus the probe key."""
        digest = hashlib.sha256(self.load_key.encode()).hexdigest()
        return json.dumps({"probe": self.probe_key, "keys": f"sha256:{digest}:submit:load"})

    def env(self) -> dict[str, str]:
        """The seam's read_secret looks these up by the last part of the ARN."""
        return {
            "DTQ_REHEARSAL_SECRET_REDIS": self.redis_password,
            "DTQ_REHEARSAL_SECRET_API_KEYS": self.api_keys_secret(),
        }


@dataclass
class Fleet:
    """Settings every instance shares: where the queue is, the secrets, the release pointer."""

    workdir: Path
    redis_url: str
    secrets: Secrets
    built_image: str
    bad_release: str = ""
    bad_mode: str = "ready"  # how the bad release is broken (see seam.sh)
    ready_timeout_s: int = 10
    timeouts: Timeouts = field(default_factory=Timeouts)

    @property
    def pointer(self) -> Path:
        """The release pointer (an SSM parameter on AWS)."""
        return self.workdir / "release-pointer"

    def release(self) -> str:
        """The current release label, as the pointer says."""
        text = self.pointer.read_text().strip() if self.pointer.exists() else self.built_image
        return text.split(":", 1)[-1]


@dataclass
class Instance:
    """One instance: API on its own loopback port plus a worker; hooks see it through the seam."""

    name: str
    fleet: Fleet
    api_port: int = field(default_factory=free_port)
    last_good_archive: Path | None = None
    pids_seen: set[int] = field(default_factory=set)
    roles: dict[int, str] = field(default_factory=dict)  # pid → role, for every pid seen

    @property
    def root(self) -> Path:
        """Everything of this instance lives under here."""
        return self.fleet.workdir / self.name

    @property
    def config_dir(self) -> Path:
        """/etc/dtq on EC2."""
        return self.root / "etc"

    @property
    def run_dir(self) -> Path:
        """/run/dtq on EC2: secrets.env, PID files and process logs."""
        return self.root / "run"

    @property
    def api_url(self) -> str:
        """The instance's own API, bypassing the load balancer."""
        return f"http://127.0.0.1:{self.api_port}"

    def configure(self) -> None:
        """Write dtq.env (hooks) and common/api/worker.env (runtime), as the user-data does."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        f, t = self.fleet, self.fleet.timeouts
        _env_file(self.config_dir / "dtq.env", {
            "DTQ_ENV": "rehearsal", "DTQ_REGION": "local",
            "DTQ_RELEASE_PARAMETER": "/dtq/rehearsal/release/image",
            "DTQ_BUILT_IMAGE_PARAMETER": "/dtq/rehearsal/release/built-image",
            "DTQ_REDIS_SECRET_ARN": "arn:aws:secretsmanager:local:000000000000:secret:redis",
            "DTQ_API_KEYS_SECRET_ARN": "arn:aws:secretsmanager:local:000000000000:secret:api-keys",
            "DTQ_LOG_GROUP_API": "/dtq/rehearsal/api",
            "DTQ_LOG_GROUP_WORKER": "/dtq/rehearsal/worker",
            "DTQ_LOG_GROUP_SYSTEM": "/dtq/rehearsal/system",
            "DTQ_CONTAINER_STOP_S": str(t.container_stop_s), "DTQ_RUN_DIR": str(self.run_dir),
            "DTQ_API_URL": self.api_url, "DTQ_READY_TIMEOUT_S": str(f.ready_timeout_s),
            "DTQ_JOB_TIMEOUT_S": "30",
        })  # fmt: skip
        _env_file(self.config_dir / "common.env", {
            "ENVIRONMENT": "production", "REDIS_URL": f.redis_url, "LOG_FORMAT": "json",
            "WAIT_REPLICAS": "0", "SHARDS": "1", "EMF_NAMESPACE": "DTQ",
        })  # fmt: skip
        _env_file(self.config_dir / "api.env", {
            "HOST": "127.0.0.1", "PORT": str(self.api_port), "EMF_METRICS": "false",
        })  # fmt: skip
        _env_file(self.config_dir / "worker.env", {
            "EMF_METRICS": "false", "WORKER_CONCURRENCY": "32",
            "WORKER_SHUTDOWN_GRACE_S": str(t.worker_grace_s),
        })  # fmt: skip

    def hook_env(self) -> dict[str, str]:
        """The environment the CodeDeploy agent would give a hook, plus the seam's settings."""
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME", "TZ")}
        env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        env.update(self.fleet.secrets.env())
        env.update({
            "DTQ_CONFIG_DIR": str(self.config_dir), "DTQ_HOOK_SEAM": str(SEAM),
            "DTQ_REHEARSAL_INSTANCE": self.name, "DTQ_REHEARSAL_POINTER": str(self.fleet.pointer),
            "DTQ_REHEARSAL_BUILT_IMAGE": self.fleet.built_image,
            "DTQ_REHEARSAL_BAD_RELEASE": self.fleet.bad_release,
            "DTQ_REHEARSAL_BAD_MODE": self.fleet.bad_mode,
            "DTQ_REHEARSAL_PYTHON": sys.executable, "DTQ_REHEARSAL_REPO": str(REPO),
            "DTQ_REHEARSAL_HOOKS": str(HOOKS),
        })  # fmt: skip
        return env

    def boot(self) -> None:
        """What the user-data does after installing packages: start the current release."""
        self.configure()
        log = (self.root / "user-data.log").open("ab")
        with log:
            subprocess.run(
                ["bash", "-c", USER_DATA], env=self.hook_env(), stdout=log, stderr=log,
                stdin=subprocess.DEVNULL, check=True, timeout=60,
            )  # fmt: skip
        self.note_pids()

    def pid(self, role: str) -> int | None:
        """The PID of the role's process, from its PID file."""
        return read_pid(self.run_dir / f"{role}.pid")

    def note_pids(self) -> set[int]:
        """Remember the PIDs in the PID files (to stop and reap them later); the live ones."""
        live: set[int] = set()
        for role in ROLES:
            pid = self.pid(role)
            if pid is not None:
                live.add(pid)
                self.roles.setdefault(pid, role)
        self.pids_seen |= live
        return live

    def release_running(self, role: str) -> str | None:
        """DTQ_RELEASE of the role's running process, read from /proc."""
        pid = self.pid(role)
        if pid is None or not runs_dtq(pid):
            return None
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            return None
        found = [e[len(b"DTQ_RELEASE=") :] for e in environ if e.startswith(b"DTQ_RELEASE=")]
        return found[0].decode() if found else None
