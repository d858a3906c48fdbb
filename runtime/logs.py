"""Logging: one JSON line per job event, JSON (or text) process logs, CloudWatch EMF metrics."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson

from runtime.broker.protocol import QueueStats, Settlement, WorkerInfo
from runtime.config import Settings
from runtime.jobs import Outcome

OUTCOME_NAMES = {
    Outcome.SUCCEEDED: "succeeded",
    Outcome.RETRY: "retrying",
    Outcome.DEAD: "dead",
    Outcome.CANCELLED: "cancelled",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a JSON line."""
        body: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(body).decode()


def configure_logging(settings: Settings) -> None:
    """Route process logs to stdout in LOG_FORMAT at LOG_LEVEL."""
    handler = logging.StreamHandler(sys.stdout)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)


class JobEventLog:
    """Writes job events (one line each) and EMF metric lines straight to stdout."""

    def __init__(self, settings: Settings, worker: str) -> None:
        self.settings = settings
        self.worker = worker
        self.enabled = settings.log_level in ("DEBUG", "INFO")
        self._last_metrics = 0.0
        self._last_counts: tuple[int, int] | None = None
        self._latencies_ms: list[float] = []  # a sample of attempt durations for JobLatencyMs

    def attempt_ended(self, s: Settlement, duration_s: float, error: BaseException | None) -> None:
        """Log how one attempt ended: job id, attempt, outcome, duration, error."""
        if self.settings.emf_metrics and len(self._latencies_ms) < 100:
            self._latencies_ms.append(round(duration_s * 1000, 2))
        if not self.enabled:
            return
        event: dict[str, Any] = {
            "ts": round(time.time(), 3), "event": "attempt_ended", "job_id": s.job_id,
            "attempt": s.attempt, "outcome": OUTCOME_NAMES[s.outcome],
            "duration_ms": round(duration_s * 1000, 2), "worker": self.worker,
        }  # fmt: skip
        if error is not None:
            event["error"] = s.value[:500]
        if s.outcome is Outcome.RETRY:
            event["retry_in_ms"] = s.delay_ms
        self._write(event)

    def _write(self, event: dict[str, Any]) -> None:
        if self.settings.log_format == "json":
            sys.stdout.write(orjson.dumps(event).decode() + "\n")
        else:
            fields = " ".join(f"{k}={v}" for k, v in event.items() if k not in ("ts", "event"))
            sys.stdout.write(f"{time.strftime('%H:%M:%S')} job {fields}\n")

    def metrics_due(self) -> bool:
        """Whether an EMF line is due (EMF_METRICS on and EMF_INTERVAL_S passed)."""
        return self.settings.emf_metrics and (
            time.monotonic() - self._last_metrics >= self.settings.emf_interval_s
        )

    def emit_metrics(self, stats: QueueStats, info: WorkerInfo, live_workers: int) -> None:
        """Print one CloudWatch Embedded Metric Format line (no API call on the hot path)."""
        self._last_metrics = time.monotonic()
        completed = stats.counters.get("completed", 0)
        failed = stats.counters.get("failed", 0)
        previous = self._last_counts or (completed, failed)
        self._last_counts = (completed, failed)
        values: dict[str, tuple[Any, str]] = {
            "QueueBacklog": (stats.queue_backlog, "Count"),
            "OldestQueuedAgeSeconds": (stats.oldest_queued_age_s, "Seconds"),
            "DlqDepth": (stats.dlq_depth, "Count"),
            "JobsCompleted": (completed - previous[0], "Count"),
            "JobsFailed": (failed - previous[1], "Count"),
            "BacklogPerInstance": (stats.queue_backlog / max(1, live_workers), "Count"),
            "WorkerInFlight": (info.in_flight, "Count"),
        }
        if self._latencies_ms:
            values["JobLatencyMs"] = (self._latencies_ms[:], "Milliseconds")
            self._latencies_ms.clear()
        sys.stdout.write(orjson.dumps(emf_document(self.settings, values)).decode() + "\n")
        sys.stdout.flush()


def emf_document(settings: Settings, values: dict[str, tuple[Any, str]]) -> dict[str, Any]:
    """The EMF JSON for one sample; CloudWatch turns it into metrics with no API call."""
    return {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": settings.emf_namespace,
                    "Dimensions": [["Environment"]],
                    "Metrics": [{"Name": n, "Unit": u} for n, (_, u) in values.items()],
                }
            ],
        },
        "Environment": settings.environment,
        **{name: value for name, (value, _) in values.items()},
    }
