"""S11: least-privilege ACL users (tests/security/acl.py) for the API and the worker, on a local
server with the default user switched off: the whole round trip works under them, with nothing
in ACL LOG, and every dangerous command or foreign key is refused with NOPERM."""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.localserver import LocalServer
from runtime.tasks.registry import REGISTRY
from runtime.worker.loop import Worker
from tests.conftest import api_client, wait_for
from tests.security.acl import COMMANDS, Role, setuser
from tests.security.conftest import Figures

PREFIX = "sec"  # a prefix of our own: the rules are built from it
ADMIN_PASSWORD = secrets.token_urlsafe(16)
PASSWORDS: dict[Role, str] = {"api": secrets.token_urlsafe(16), "worker": secrets.token_urlsafe(16)}
DEBUG_ON = ["--enable-debug-command", "yes"]
SCRIPT_OUTSIDE = "return redis.call('GET', 'outside:key')"
# (what, command…) every one must fail with NOPERM, for both users
ATTEMPTS: list[tuple[str, ...]] = [
    ("FLUSHALL",), ("FLUSHDB",), ("KEYS", "*"), ("SCAN", "0"), ("CONFIG", "GET", "*"),
    ("CONFIG", "SET", "appendonly", "no"), ("DEBUG", "SLEEP", "0"), ("SHUTDOWN", "NOSAVE"),
    ("ACL", "SETUSER", "evil", "on", "nopass", "+@all", "~*"), ("ACL", "LIST"),
    ("MONITOR",), ("CLIENT", "LIST"), ("CLIENT", "KILL", "ID", "1"), ("SAVE",), ("BGSAVE",),
    ("BGREWRITEAOF",), ("REPLICAOF", "NO", "ONE"), ("MODULE", "LIST"), ("SWAPDB", "0", "1"),
    ("SCRIPT", "FLUSH"), ("FUNCTION", "FLUSH"), ("EVAL", "return 1", "0"), ("SELECT", "1"),
    ("GET", "outside:key"), ("SET", "outside:key", "1"), ("DEL", "outside:key"),
    ("SET", f"{PREFIX}x:key", "1"), ("HGETALL", "dtq:{0}:job:1"), ("RENAME", f"{PREFIX}:a", "b"),
    ("XADD", "outside:stream", "*", "a", "1"), ("PUBLISH", "outside:channel", "x"),
    ("SUBSCRIBE", "outside:channel"), ("EVALSHA", "<outside>", "0"),
]  # fmt: skip


@pytest.fixture
def acl_server() -> Iterator[LocalServer]:
    """A server of its own with an admin user, the two DTQ users, and the default user off."""
    with tempfile.TemporaryDirectory(prefix="dtq-acl-") as folder:
        # DEBUG enabled, so that only the ACL stands between the users and it
        srv = LocalServer(Path(folder), appendonly=False, extra_args=DEBUG_ON).start()
        try:
            with redis.Redis(port=srv.port) as r:
                r.execute_command("ACL", "SETUSER", "sec-admin", "on", f">{ADMIN_PASSWORD}",
                                  "+@all", "~*", "&*")  # fmt: skip
                for role, password in PASSWORDS.items():
                    r.execute_command(*setuser(f"dtq-{role}", password, role, PREFIX))
                r.execute_command("ACL", "SETUSER", "default", "off")
            yield srv
        finally:
            srv.stop()


def admin(srv: LocalServer) -> redis.Redis:
    return redis.Redis(port=srv.port, username="sec-admin", password=ADMIN_PASSWORD)


def settings_for(srv: LocalServer, role: Role, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": f"redis://dtq-{role}@127.0.0.1:{srv.port}/0",
        "redis_password": PASSWORDS[role],
        "queue_prefix": PREFIX,
        "max_retries": 0,
        "initial_backoff_ms": 20, "max_backoff_ms": 100,
        "visibility_timeout_ms": 1_000, "reclaim_interval_ms": 100,
        "heartbeat_interval_ms": 200, "worker_block_ms": 100, "worker_shutdown_grace_s": 2.0,
        "log_level": "WARNING", "ui_dist_dir": "/nonexistent",
    }  # fmt: skip
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def round_trip(srv: LocalServer) -> dict[str, str]:
    """Everything the API and a worker do, each as its own user; the jobs' final statuses (and
    under "wait" how POST /jobs ends with WAIT_REPLICAS=1 on this replica-less server)."""
    api_settings = settings_for(srv, "api")
    worker_settings = settings_for(srv, "worker")
    worker_broker = RedisBroker(worker_settings)
    await worker_broker.bootstrap()
    worker = Worker(worker_broker, REGISTRY, worker_settings)
    running_worker = asyncio.create_task(worker.run())
    try:
        final = await api_calls(api_settings)
        final["wait"] = await post_with_wait(settings_for(srv, "api", wait_replicas=1))
        return final
    finally:
        worker.stop()  # it leaves: hands back, removes its consumer, forgets itself
        try:
            await asyncio.wait_for(running_worker, 15)
        finally:
            await worker_broker.close()


async def post_with_wait(api_settings: Settings) -> str:
    """POST /jobs with WAIT_REPLICAS: WAIT runs as the API's user and, with no replica to count,
    ends in 503 ReplicationTimeout (a missing permission would be another error); its code."""
    async with api_client(api_settings) as c:
        answer = await c.post("/jobs", json={"task_type": "noop"})
    return str(answer.json()["error"]["code"])


async def api_calls(api_settings: Settings) -> dict[str, str]:
    """Every route, as the API's user, with the worker running."""
    async with api_client(api_settings) as c:
        answers = {
            name: await c.post("/jobs", json=body, headers=headers)
            for name, body, headers in [
                ("echo", {"task_type": "echo", "payload": {"a": 1}}, {"Idempotency-Key": "k"}),
                ("dead", {"task_type": "fail"}, {}),
                ("retried", {"task_type": "flaky", "max_retries": 2}, {}),
                ("delayed", {"task_type": "noop", "delay_ms": 200}, {}),
                ("cancelled", {"task_type": "sleep", "payload": {"seconds": 30}}, {}),
            ]
        }
        refused = {n: r.text[:300] for n, r in answers.items() if r.status_code != 201}
        assert not refused, refused
        created = {name: r.json()["id"] for name, r in answers.items()}
        assert (await c.post("/jobs/batch", json={"jobs": [{"task_type": "noop"}]})).is_success

        async def running() -> bool:
            return (await c.get(f"/jobs/{created['cancelled']}")).json()["status"] == "running"

        await wait_for(running)
        await asyncio.sleep(0.8)  # past VISIBILITY_TIMEOUT_MS / 3: its lease is renewed
        assert (await c.post(f"/jobs/{created['cancelled']}/cancel")).is_success

        async def settled() -> bool:
            statuses = [(await c.get(f"/jobs/{i}")).json()["status"] for i in created.values()]
            return all(s in ("succeeded", "dead", "cancelled") for s in statuses)

        await wait_for(settled, timeout_s=15)
        for path in ("/jobs?status=succeeded", "/dlq", "/metrics", "/metrics/prometheus",
                     "/metrics/timeseries", "/workers", "/tasks", "/health/ready"):  # fmt: skip
            assert (await c.get(path)).status_code == 200, path
        final = {n: (await c.get(f"/jobs/{i}")).json()["status"] for n, i in created.items()}
        assert (await c.post(f"/dlq/{created['dead']}/replay")).status_code == 200

        async def dead_again() -> bool:
            return (await c.get(f"/jobs/{created['dead']}")).json()["status"] == "dead"

        await wait_for(dead_again)
        assert (await c.delete("/dlq")).json()["purged"] == 1
    return final


def attempt(srv: LocalServer, role: Role, command: tuple[str, ...], sha: str) -> str:
    """Run one command as `role`'s user on a fresh connection; the error text, or 'allowed'."""
    args = [sha if a == "<outside>" else a for a in command]
    with redis.Redis(
        port=srv.port, username=f"dtq-{role}", password=PASSWORDS[role], socket_timeout=5
    ) as r:
        try:
            r.execute_command(*args)
        except redis.ResponseError as exc:
            return f"{type(exc).__name__}: {exc}"
    return "allowed"


@pytest.mark.timeout(90)
async def test_s11_least_privilege_users(acl_server: LocalServer, figures: Figures) -> None:
    with admin(acl_server) as r:
        r.execute_command("ACL", "LOG", "RESET")
        r.config_resetstat()
    try:
        final = await round_trip(acl_server)
    except Exception as exc:
        # what the server refused says which command acl.py lacks
        with admin(acl_server) as r:
            log = [(entry["username"], entry["object"]) for entry in r.acl_log()]
        raise AssertionError(f"round trip failed; ACL LOG objects: {log}") from exc
    with admin(acl_server) as r:
        refused_in_round_trip = r.execute_command("ACL", "LOG")
        used = {name.removeprefix("cmdstat_") for name in r.info("commandstats")}
        workers_left = r.zcard(f"{PREFIX}:workers")
        sha = r.script_load(SCRIPT_OUTSIDE)
        results = {
            (role, " ".join(command[:2])): attempt(acl_server, role, command, sha)
            for role in PASSWORDS
            for command in ATTEMPTS
        }
        logged = r.execute_command("ACL", "LOG")  # the control: refusals do land in ACL LOG
    # NOPERM, or its form for a key touched inside a script
    denied = {
        k: v
        for k, v in results.items()
        if v.startswith("NoPermissionError") or "ACL failure in script: No permissions" in v
    }
    granted = set(COMMANDS["api"]) | set(COMMANDS["worker"])
    unused = sorted(granted - used)
    figures(
        f"S11 round_trip={final} acl_log_during_round_trip={len(refused_in_round_trip)}"
        f" granted={len(granted)} granted_unused_in_round_trip={unused}"
        f" workers_left={workers_left} denied/attempted={len(denied)}/{len(results)}"
    )
    assert final == {"echo": "succeeded", "dead": "dead", "retried": "succeeded",
                     "delayed": "succeeded", "cancelled": "cancelled",
                     "wait": "ReplicationTimeout"}  # fmt: skip
    assert refused_in_round_trip == [] and len(logged) > 0, refused_in_round_trip
    assert workers_left == 0
    assert denied == results, "\n".join(f"{k}: {v}" for k, v in results.items() if k not in denied)
