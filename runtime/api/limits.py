"""BodyLimit: refuse request bodies over the configured size with 413, before any parsing."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.errors import TaskQueueError


class PayloadTooLarge(TaskQueueError):
    """Raised when one job of a batch carries a payload above MAX_PAYLOAD_BYTES (→ 413)."""


class BodyLimit:
    """Pure ASGI middleware: reads the body (at most limit + 1 bytes), then replays it."""

    def __init__(self, app: ASGIApp, *, limit_bytes: int, batch_limit_bytes: int) -> None:
        self.app = app
        self.limit_bytes = limit_bytes
        self.batch_limit_bytes = batch_limit_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass small bodies through unchanged; answer 413 for big ones."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        is_batch = scope["path"].endswith("/batch")
        limit = self.batch_limit_bytes if is_batch else self.limit_bytes
        setting = "MAX_BATCH_BYTES" if is_batch else "MAX_PAYLOAD_BYTES"
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit, setting)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit, setting)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, limit: int, setting: str) -> None:
    body: dict[str, Any] = {"error": {
        "code": "PayloadTooLarge",
        "message": f"request body is larger than {limit} bytes ({setting})",
        "details": {"limit_bytes": limit},
    }}  # fmt: skip
    raw = orjson.dumps(body)
    # no `Connection: close`: closing with the body unread makes the kernel reset the socket,
    # and a client still writing would get ECONNRESET instead of this 413. uvicorn discards the
    # rest of the body unread (no memory), and its keep-alive timeout still ends the connection
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()),
    ]})  # fmt: skip
    await send({"type": "http.response.body", "body": raw})
