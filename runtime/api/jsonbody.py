"""JSON request bodies: parsed by orjson (JsonRoute) and payloads capped in depth (Payload)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import AfterValidator

from runtime.jobs import MAX_PAYLOAD_DEPTH, nesting_depth


class OrjsonRequest(Request):
    """A request whose JSON body orjson parses (its JSONDecodeError is json's, so FastAPI → 422)."""

    async def json(self) -> Any:
        """The parsed body; orjson refuses NaN/Infinity, invalid UTF-8 and nesting past 1024."""
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


class JsonRoute(APIRoute):
    """An APIRoute that hands its endpoint an OrjsonRequest."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler so body parsing goes through orjson."""
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(OrjsonRequest(request.scope, request.receive))

        return route


def check_depth(payload: dict[str, Any]) -> dict[str, Any]:
    """Refuse payloads nested past MAX_PAYLOAD_DEPTH (a ValueError becomes a 422)."""
    if nesting_depth(payload) > MAX_PAYLOAD_DEPTH:
        raise ValueError(f"nests deeper than {MAX_PAYLOAD_DEPTH} levels")
    return payload


Payload = Annotated[dict[str, Any], AfterValidator(check_depth)]
