"""A local CodeDeploy agent + deployment group: in-place, one instance at a time, traffic blocked
around each instance, the appspec's hook scripts run in CodeDeploy's order with its timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import time
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import yaml

from rehearsal.fleet import REPO, Instance
from rehearsal.nginx import Nginx
from rehearsal.timeline import Timeline

REVISION = REPO / "infra" / "revision"
# In-place deployment behind a load balancer, in CodeDeploy's order. ApplicationStop runs the
# scripts of the last revision that deployed successfully to the instance (none: skipped).
ORDER = (
    "BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic", "ApplicationStop",
    "DownloadBundle", "BeforeInstall", "Install", "AfterInstall", "ApplicationStart",
    "ValidateService", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic",
)  # fmt: skip
DEPLOYMENT_IDS = count(1)
# On EC2 every instance is a host of its own; here all share two cores. An instance's hook scripts
# (and the processes they start) run at this lower priority while it is out of the target group,
# and AllowTraffic puts it back to normal, so booting a new release on one "host" does not take
# CPU from the instance serving traffic — which a real fleet would not see either.
OUT_OF_SERVICE_NICE = 10


@dataclass(frozen=True)
class Hook:
    """One script of one lifecycle event, as appspec.yml declares it."""

    event: str
    location: str
    timeout_s: float


def read_appspec(path: Path) -> dict[str, list[Hook]]:
    """The hooks section of an appspec.yml, by event."""
    spec = yaml.safe_load(path.read_text())
    return {
        event: [Hook(event, h["location"], float(h.get("timeout", 3600))) for h in entries]
        for event, entries in (spec.get("hooks") or {}).items()
    }


def build_revision(directory: Path, release: str) -> Path:
    """What `python -m infra.release` uploads: infra/revision plus release.env naming the image."""
    bundle = directory / release
    shutil.copytree(REVISION, bundle, dirs_exist_ok=True)
    (bundle / "release.env").write_text(f"IMAGE=dtq:{release}\n")
    return bundle


class TargetGroup:
    """The load balancer's view of the fleet: registered instances = nginx upstream."""

    def __init__(self, lb: Nginx, instances: list[Instance], drain_timeout_s: float) -> None:
        self.lb = lb
        self.registered = list(instances)
        self.drain_timeout_s = drain_timeout_s

    async def block(self, instance: Instance) -> bool:
        """Deregister, reload, wait until nothing is in flight to the instance (bounded)."""
        if instance not in self.registered:
            return True  # already out (e.g. its last deployment failed)
        self.registered = [i for i in self.registered if i is not instance]
        old = await asyncio.to_thread(self.lb.set_targets, [i.api_port for i in self.registered])
        return await asyncio.to_thread(self.lb.wait_drained, old, self.drain_timeout_s)

    async def allow(self, instance: Instance) -> bool:
        """Register the instance again (after ValidateService)."""
        if instance not in self.registered:
            self.registered.append(instance)
            self.registered.sort(key=lambda i: i.name)
            await asyncio.to_thread(self.lb.set_targets, [i.api_port for i in self.registered])
        for role in ("api", "worker"):
            pid = instance.pid(role)  # its own process group (setsid): every thread is reniced
            with contextlib.suppress(OSError):  # gone, or not permitted: it just stays nicer
                if pid is not None:
                    os.setpriority(os.PRIO_PGRP, pid, 0)
        return True


async def run_hook(instance: Instance, archive: Path, hook: Hook, log: Path) -> bool:
    """Run one hook script with bash from the deployment archive; False on failure or timeout."""
    script = archive / hook.location
    with log.open("ab") as out:
        out.write(f"# {time.strftime('%H:%M:%S')} {hook.event} {hook.location}\n".encode())
        out.flush()
        proc = await asyncio.create_subprocess_exec(
            "nice", "-n", str(OUT_OF_SERVICE_NICE), "bash", str(script), cwd=archive,
            env=instance.hook_env(),
            stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
        )  # fmt: skip
        try:
            code = await asyncio.wait_for(proc.wait(), hook.timeout_s)
        except TimeoutError:
            out.write(f"# {hook.event} timed out after {hook.timeout_s:.0f}s\n".encode())
            code = -1
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
    instance.note_pids()
    return code == 0


class Deployer:
    """Deploys a revision to the deployment group the way CodeDeployDefault.OneAtATime does: one
    instance at a time; a failed instance stops the deployment and stays out of the target group,
    except that a failure on the *last* instance does not fail the deployment (AWS: "all
    instances but one are kept in a healthy state"). Instances out of service go first, so a
    rollback never takes the last healthy instance out while a failed one is still out.

    deploy() answers like `python -m infra.release` (infra/rollout/rollout.py outcome()): every
    instance must succeed, so a deployment CodeDeploy calls a success despite a failed last
    instance is a failed release, which the caller rolls back."""

    def __init__(self, instances: list[Instance], targets: TargetGroup, timeline: Timeline):
        self.instances = instances
        self.targets = targets
        self.timeline = timeline
        self.last_good: Path | None = None

    async def deploy(self, revision: Path, label: str) -> bool:
        """One deployment of revision; True when every instance succeeded."""
        deployment = f"d-{next(DEPLOYMENT_IDS):04d}"
        self.timeline.mark(f"{deployment} {label} of {revision.name} starts")
        order = sorted(self.instances, key=lambda i: i in self.targets.registered)
        for n, instance in enumerate(order):
            if await self._deploy_instance(instance, revision, deployment):
                continue
            if 0 < n == len(order) - 1:
                self.last_good = revision  # CodeDeploy's view: the deployment succeeded
                self.timeline.mark(
                    f"{deployment} failed on {instance.name}, the last instance: OneAtATime "
                    "calls the deployment a success; every instance must succeed, so the "
                    "release failed"
                )
                return False
            self.timeline.mark(f"{deployment} failed on {instance.name}")
            return False
        self.last_good = revision
        self.timeline.mark(f"{deployment} succeeded")
        return True

    async def _deploy_instance(self, instance: Instance, revision: Path, deployment: str) -> bool:
        root = instance.root / "deployment-root" / deployment
        archive, log = root / "deployment-archive", root / "logs" / "scripts.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        previous = instance.last_good_archive
        group = f"{deployment} {revision.name}"
        for event in ORDER:
            hooks = self._hooks(event, revision, previous)
            if hooks is None:
                continue  # no script for this event in the appspec (or no previous revision)
            with self.timeline.span(instance.name, event, group) as span:
                if event == "BlockTraffic":
                    drained = await self.targets.block(instance)
                    span.note = "" if drained else "deregistration delay expired"
                elif event == "AllowTraffic":
                    await self.targets.allow(instance)
                elif event == "DownloadBundle":
                    shutil.copytree(revision, archive, dirs_exist_ok=True)
                elif event == "Install":
                    install_files(archive, instance.root)
                else:
                    source = previous if event == "ApplicationStop" else archive
                    assert source is not None
                    span.ok = await run_hooks(instance, source, hooks, log)
            if not span.ok:
                return False
        instance.last_good_archive = archive
        return True

    @staticmethod
    def _hooks(event: str, revision: Path, previous: Path | None) -> list[Hook] | None:
        """The scripts of a hook event ([] for the agent's own events); None: skip the event."""
        if event in ("BlockTraffic", "AllowTraffic", "DownloadBundle", "Install"):
            return []
        source = previous if event == "ApplicationStop" else revision
        hooks = read_appspec(source / "appspec.yml").get(event) if source else None
        return hooks or None


async def run_hooks(instance: Instance, archive: Path, hooks: list[Hook], log: Path) -> bool:
    """Run an event's scripts in order; stop at the first that fails."""
    for hook in hooks:
        if not await run_hook(instance, archive, hook, log):
            return False
    return True


def install_files(archive: Path, root: Path) -> bool:
    """The appspec's files section, with destinations under the instance's root."""
    spec = yaml.safe_load((archive / "appspec.yml").read_text())
    for entry in spec.get("files") or []:
        source = archive / entry["source"].lstrip("/")
        target = root / entry["destination"].lstrip("/")
        shutil.copytree(source, target, dirs_exist_ok=True)
    return True
