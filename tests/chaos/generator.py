"""Open-loop generator: POST /jobs on a fixed schedule, never waiting for answers.

Each request carries a unique Idempotency-Key and a payload nonce; the history records, per
request, `attempt` (sent at), then `ok(job_id)`, `fail(status)` or `info(timeout|reset)` — the
Jepsen history the checker reads. Stalls show up as latency, not as a lower rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Op:
    """One request of the history."""

    key: str  # Idempotency-Key, also the payload nonce
    sent: float  # time.time() when fired
    kind: str = "pending"  # ok | fail | info | pending
    job_id: str = ""
    status: int = 0
    detail: str = ""  # info: timeout | reset; fail: error code
    done: float = 0.0
    retry_after: bool = False

    @property
    def latency_s(self) -> float:
        return self.done - self.sent


POOLS = 16

# httpcore asks `import sniffio` on every request; without the package each attempt scans
# sys.path again (a failed import is not cached) and that alone caps the generator near
# 100 requests/s. A None entry makes the import fail at once, as it would anyway.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
PayloadFn = Callable[[int, str], dict[str, Any]]


def ledger_body(ms: int = 0) -> PayloadFn:
    """The default job: the ledger task doing `ms` of work."""

    def body(i: int, nonce: str) -> dict[str, Any]:
        payload: dict[str, Any] = {"n": nonce}
        if ms:
            payload["ms"] = ms
        return {"task_type": "ledger", "payload": payload}

    return body


@dataclass
class Generator:
    """Fires `rate` POST /jobs per second for `duration_s` at `url`; history in `ops`."""

    url: str
    rate: float
    duration_s: float
    body: PayloadFn = field(default_factory=ledger_body)
    timeout_s: float = 5.0
    ops: list[Op] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: os.urandom(4).hex())

    async def run(self) -> list[Op]:
        # several small pools: httpcore scans its whole queue on every event, so one pool with
        # hundreds of waiting requests melts the generator down long before the API does
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        timeout = httpx.Timeout(self.timeout_s, connect=self.timeout_s)
        tls = ssl.create_default_context()  # unused on http://, but built once, not per client
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(
                    httpx.AsyncClient(base_url=self.url, limits=limits, timeout=timeout, verify=tls)
                )
                for _ in range(POOLS)
            ]
            pending: set[asyncio.Task[None]] = set()
            start = time.monotonic()
            total = int(self.rate * self.duration_s)
            for i in range(total):
                delay = start + i / self.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(self._fire(clients[i % POOLS], i))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if pending:
                await asyncio.gather(*pending)
        return self.ops

    async def _fire(self, client: httpx.AsyncClient, i: int) -> None:
        op = Op(key=f"{self.run_id}-{i}", sent=time.time())
        self.ops.append(op)
        await post_job(client, op, self.body(i, op.key), self.timeout_s + 1)


async def post_job(
    client: httpx.AsyncClient, op: Op, body: dict[str, Any], deadline_s: float | None = None
) -> None:
    """Send one POST /jobs and record its ending in `op` (deadline: the whole request)."""
    try:
        async with asyncio.timeout(deadline_s):
            answer = await client.post("/jobs", json=body, headers={"Idempotency-Key": op.key})
    except (httpx.TimeoutException, TimeoutError):
        op.kind, op.detail = "info", "timeout"
    except httpx.TransportError as exc:
        op.kind, op.detail = "info", f"reset:{type(exc).__name__}"
    else:
        op.status = answer.status_code
        if answer.status_code in (200, 201):
            op.kind, op.job_id = "ok", str(answer.json()["id"])
        else:
            op.kind = "fail"
            op.retry_after = "retry-after" in answer.headers
            op.detail = _error_code(answer)
    op.done = time.time()


def _error_code(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return answer.text[:60]
