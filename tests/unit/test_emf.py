"""EMF lines carry the metric names the CDK alarms and scaling policies read."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

from runtime.broker.protocol import QueueStats, Settlement, WorkerInfo
from runtime.config import Settings
from runtime.jobs import Outcome
from runtime.logs import JobEventLog

STATS = QueueStats({"queued": 40}, 2, {"completed": 10, "failed": 1}, 40, 3.5)
INFO = WorkerInfo("w", "h", 1, 0, 0, 8, 3, 10, 1)


def emit(log: JobEventLog, stats: QueueStats) -> dict[str, object]:
    out = io.StringIO()
    with redirect_stdout(out):
        log.emit_metrics(stats, INFO, live_workers=4)
    return dict(json.loads(out.getvalue()))


def test_emf_line_has_the_metrics_the_infra_watches() -> None:
    log = JobEventLog(Settings(_env_file=None, emf_metrics=True, log_level="WARNING"), "w")  # type: ignore[call-arg]
    log.attempt_ended(Settlement("j", 1, Outcome.SUCCEEDED), 0.012, None)
    doc = emit(log, STATS)
    names = {m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}  # type: ignore[index]
    assert names >= {
        "QueueBacklog",
        "OldestQueuedAgeSeconds",
        "DlqDepth",
        "JobsCompleted",
        "JobsFailed",
        "JobLatencyMs",
        "BacklogPerInstance",
    }
    assert doc["BacklogPerInstance"] == 10 and doc["JobLatencyMs"] == [12.0]
    assert doc["Environment"] == "development"


def test_completed_and_failed_are_deltas_between_lines() -> None:
    log = JobEventLog(Settings(_env_file=None, emf_metrics=True), "w")  # type: ignore[call-arg]
    assert emit(log, STATS)["JobsCompleted"] == 0
    later = QueueStats({"queued": 0}, 2, {"completed": 25, "failed": 3}, 0, 0.0)
    doc = emit(log, later)
    assert (doc["JobsCompleted"], doc["JobsFailed"]) == (15, 2)
