"""render_prometheus(): QueueStats in Prometheus text exposition format."""

from __future__ import annotations

import re

from runtime.api.routes.metrics import render_prometheus
from runtime.broker.protocol import QueueStats

STATS = QueueStats(
    jobs_by_status={"queued": 3, "running": 1, "dead": 2},
    dlq_depth=2,
    counters={"created": 10, "completed": 5, "dead": 2},
    queue_backlog=3,
    oldest_queued_age_s=1.5,
)
SAMPLE = re.compile(r'^[a-z_]+(\{[a-z_]+="[a-z_]+"\})? -?[0-9.]+(e[+-]?[0-9]+)?$')


def samples(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return dict(line.rsplit(" ", 1) for line in lines)


def test_every_sample_line_is_well_formed_and_text_ends_with_newline() -> None:
    text = render_prometheus(STATS)
    assert text.endswith("\n")
    for line in text.splitlines():
        assert line.startswith(("# HELP ", "# TYPE ")) or SAMPLE.match(line), line


def test_gauges_carry_current_values() -> None:
    values = samples(render_prometheus(STATS))
    assert values['dtq_jobs{status="queued"}'] == "3"
    assert values['dtq_jobs{status="dead"}'] == "2"
    assert values["dtq_dlq_depth"] == "2"
    assert values["dtq_queue_backlog"] == "3"
    assert values["dtq_oldest_queued_age_seconds"] == "1.5"


def test_counters_default_to_zero_and_are_typed_counter() -> None:
    text = render_prometheus(STATS)
    values = samples(text)
    assert values["dtq_jobs_created_total"] == "10"
    assert values["dtq_jobs_retried_total"] == "0"
    assert values["dtq_jobs_stale_total"] == "0"
    assert "# TYPE dtq_jobs_created_total counter" in text
    assert "# TYPE dtq_dlq_depth gauge" in text


def test_each_metric_has_exactly_one_help_and_type() -> None:
    text = render_prometheus(STATS)
    helps = [line.split()[2] for line in text.splitlines() if line.startswith("# HELP")]
    types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert len(helps) == len(set(helps)) and helps == types
