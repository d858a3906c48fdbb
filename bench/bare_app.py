"""The HTTP benchmark's reference: a bare FastAPI POST endpoint that returns a constant."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import ORJSONResponse

app = FastAPI(default_response_class=ORJSONResponse)
ANSWER = {"id": "0", "status": "queued"}


@app.post("/jobs", status_code=201)
async def create() -> dict[str, str]:
    """Ignore the body, answer a constant."""
    return ANSWER
