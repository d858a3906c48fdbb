"""One log line per job event: JSON by default (job id, attempt, outcome, duration), text on ask."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

from runtime.broker.protocol import Settlement
from runtime.config import Settings
from runtime.jobs import Outcome
from runtime.logs import JobEventLog


def lines_of(log_format: str, settlement: Settlement, error: BaseException | None) -> list[str]:
    settings = Settings(_env_file=None, log_format=log_format)  # type: ignore[call-arg]
    out = io.StringIO()
    with redirect_stdout(out):
        JobEventLog(settings, "w1").attempt_ended(settlement, 0.0123, error)
    return out.getvalue().splitlines()


def test_a_finished_attempt_is_one_json_line() -> None:
    (line,) = lines_of("json", Settlement("j1", 2, Outcome.SUCCEEDED, "{}"), None)
    event = json.loads(line)
    assert {k: event[k] for k in ("job_id", "attempt", "outcome", "worker")} == {
        "job_id": "j1",
        "attempt": 2,
        "outcome": "succeeded",
        "worker": "w1",
    }
    assert event["duration_ms"] == 12.3


def test_a_retry_line_carries_the_error_and_the_delay() -> None:
    failure = Settlement("j1", 1, Outcome.RETRY, "RuntimeError: boom", 250)
    event = json.loads(lines_of("json", failure, RuntimeError("boom"))[0])
    assert (event["outcome"], event["error"], event["retry_in_ms"]) == (
        "retrying",
        "RuntimeError: boom",
        250,
    )


def test_text_format_is_for_humans() -> None:
    (line,) = lines_of("text", Settlement("j1", 1, Outcome.DEAD, "x"), RuntimeError("x"))
    assert "job_id=j1" in line and "outcome=dead" in line and not line.startswith("{")
