"""Domain error → HTTP status table and the handlers that give every refusal a JSON body."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from runtime.api.auth import Forbidden, Unauthorized
from runtime.api.limits import PayloadTooLarge
from runtime.api.ratelimit import RateLimited
from runtime.errors import (
    BrokerUnavailable,
    IdempotencyConflict,
    InvalidCursor,
    InvalidRequest,
    JobAlreadyFinished,
    JobNotFound,
    TaskQueueError,
)

log = logging.getLogger("dtq.api")

STATUS_BY_ERROR: dict[type[TaskQueueError], int] = {
    InvalidRequest: 422,
    InvalidCursor: 400,
    JobNotFound: 404,
    JobAlreadyFinished: 409,
    IdempotencyConflict: 409,
    BrokerUnavailable: 503,
    Unauthorized: 401,
    Forbidden: 403,
    RateLimited: 429,
    PayloadTooLarge: 413,
}
RETRY_AFTER_S = "1"


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error body: {"error": {"code", "message", "details"}}."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


async def handle_domain_error(request: Request, exc: Exception) -> JSONResponse:
    """Answer a TaskQueueError with the status its class maps to."""
    assert isinstance(exc, TaskQueueError)
    status = next((STATUS_BY_ERROR[c] for c in type(exc).__mro__ if c in STATUS_BY_ERROR), 500)
    headers = None
    if status == 503:
        headers = {"Retry-After": RETRY_AFTER_S}
    elif isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after_s)}
    elif status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="dtq"'}
    if status == 503:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    return error_response(status, type(exc).__name__, str(exc), exc.details, headers)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 listing each invalid field: where it is, what is wrong (input values are not echoed)."""
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""),
         "type": err.get("type", "")}
        for err in exc.errors()
    ]  # fmt: skip
    first = problems[0] if problems else {"loc": [], "msg": "invalid request", "type": ""}
    if first["type"] == "json_invalid":
        # the loc holds a character offset, not a field: say so instead of "1: JSON decode error"
        reason = (exc.errors()[0].get("ctx") or {}).get("error", "JSON decode error")
        message = f"body is not valid JSON: {reason} at character {first['loc'][-1]}"
        return error_response(422, "ValidationError", message, problems)
    where = ".".join(first["loc"][1:] or first["loc"]) or "body"
    return error_response(422, "ValidationError", f"{where}: {first['msg']}", problems)


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    """404/405/… from routing, in the same body shape."""
    assert isinstance(exc, StarletteHTTPException)
    codes = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed",
             413: "PayloadTooLarge"}  # fmt: skip
    code = codes.get(exc.status_code, "HTTPError")
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        # Starlette names only the methods of the first route with this path; /jobs has two
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return error_response(exc.status_code, code, str(exc.detail), headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this request's path."""
    routes = [
        r for r in request.app.router.routes
        if isinstance(r, Route) and r.methods and r.matches(request.scope)[0] != Match.NONE
    ]  # fmt: skip
    # a literal path wins over a template: /jobs/batch is POST only, not also GET /jobs/{job_id}
    literal = [r for r in routes if r.path == request.url.path]
    return sorted({m for r in literal or routes for m in r.methods or ()})


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """Last resort: log the traceback, answer 500 without it."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "InternalError", "an unexpected error occurred; it was logged")


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler once."""
    app.add_exception_handler(TaskQueueError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected)
