"""The `ledger` task (TASK_MODULES=tests.chaos.ledger) and the switches of the negative controls.

The handler appends `job_id attempt worker pid ts` with os.write to a per-process append-only file
in LEDGER_DIR (the kernel keeps it across `kill -9`), then applies the side effect
`INCR effect:<job_id>` in a separate server (EFFECT_URL) through the idempotent-effect pattern we
tell users to follow: a guard keyed by the job id, set atomically with the effect in one script.
EFFECT_MODE=bare is the control: a bare INCR, so every re-run applies the effect again.

Payload: {"n": nonce, "ms": work after the effect, "poison": "raise" | "exit" | "hang"}.

Negative controls (worker processes only; each patch disables one safety feature of the engine,
which deliberately has no setting for it: each would exist only to break a guarantee, see
"Engine switches" in docs/reliability.md):
- CHAOS_NO_RENEW=1: lease renewal never runs (R4 control).
- CHAOS_UNFENCED_SETTLE=1: settle.lua without the owner/attempt fence, i.e. a bare XACK + write
  by whoever finishes (R3 control).
- CHAOS_NO_EPOCH=1: the epoch check never fails and an empty server never stops the worker
  (R6c control).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from runtime.tasks import JobContext, task

GUARDED = """
if redis.call('SET', KEYS[1], '1', 'NX') then return redis.call('INCR', KEYS[2]) end
return 0
"""
FENCE = "if f[1] ~= 'running' or f[2] ~= consumer or f[3] ~= attempt then"
NO_FENCE = "if not f[1] then"

_state: dict[str, Any] = {}


def _ledger_fd() -> int:
    fd = _state.get("fd")
    if fd is None:
        folder = os.environ.get("LEDGER_DIR", "/tmp")
        path = os.path.join(folder, f"ledger-{os.getpid()}.log")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        _state["fd"] = fd
    return int(fd)


def _effects() -> Any:
    client = _state.get("effects")
    if client is None:
        from redis.asyncio import Redis

        client = Redis.from_url(os.environ["EFFECT_URL"], socket_timeout=5)
        _state["effects"] = client
        _state["guarded"] = client.register_script(GUARDED)
    return client


async def apply_effect(job_id: str) -> None:
    """INCR effect:<id>, once per job (guarded) or once per execution (EFFECT_MODE=bare)."""
    client = _effects()
    if os.environ.get("EFFECT_MODE", "guarded") == "bare":
        await client.incr(f"effect:{job_id}")
    else:
        await _state["guarded"](keys=[f"guard:{job_id}", f"effect:{job_id}"])


@task("ledger", max_retries=3)
async def ledger(payload: Any, ctx: JobContext) -> dict[str, Any]:
    """Record the execution, apply the effect, then do the job's work (or its poison)."""
    worker = os.environ.get("WORKER_NAME", "?")
    line = f"{ctx.job_id} {ctx.attempt} {worker} {os.getpid()} {time.time():.6f}\n"
    os.write(_ledger_fd(), line.encode())
    if os.environ.get("EFFECT_URL"):
        await apply_effect(ctx.job_id)
    poison = payload.get("poison") if isinstance(payload, dict) else None
    if poison == "raise":
        raise RuntimeError("poison: always raises")
    if poison == "exit":
        os._exit(7)
    if poison == "hang":
        await asyncio.sleep(3600)
    ms = payload.get("ms", 0) if isinstance(payload, dict) else 0
    if ms:
        await asyncio.sleep(ms / 1000)
    return {"a": ctx.attempt, "w": worker}


def _install_controls() -> None:
    if os.environ.get("CHAOS_NO_RENEW") == "1":
        from runtime.worker.maintenance import Maintenance

        async def no_renew(self: Any) -> None:
            return None

        Maintenance.renew = no_renew  # type: ignore[method-assign]
    if os.environ.get("CHAOS_NO_EPOCH") == "1":
        from runtime.broker.base import BrokerBase
        from runtime.worker.loop import Worker

        async def no_epoch(self: Any) -> None:
            return None

        def carry_on(self: Any, exc: BaseException) -> None:
            return None  # neither the epoch check nor a vanished group stops the worker

        BrokerBase.check_epoch = no_epoch  # type: ignore[method-assign]
        Worker.fail_loudly = carry_on  # type: ignore[method-assign]
    if os.environ.get("CHAOS_UNFENCED_SETTLE") == "1":
        _unfence_settle()


def _unfence_settle() -> None:
    from runtime.broker.scripts import LUA_DIR, Scripts

    text = (LUA_DIR / "settle.lua").read_text()
    if FENCE not in text:
        raise RuntimeError("settle.lua changed: the R3 control cannot remove its fence")
    unfenced = text.replace(FENCE, NO_FENCE)
    original = Scripts.__init__

    def patched(self: Scripts, redis: Any) -> None:
        original(self, redis)
        self._scripts["settle"] = redis.register_script(unfenced)

    Scripts.__init__ = patched  # type: ignore[method-assign]


_install_controls()
