"""Settings: defaults, validation, and load_settings() naming the bad variable."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from runtime.config import Settings, load_settings


def build(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_match_the_documented_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDIS_URL", "MAX_RETRIES", "ENVIRONMENT", "SHARDS", "API_KEYS", "JOB_STREAM"):
        monkeypatch.delenv(name, raising=False)
    s = build()
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert (s.job_stream, s.dlq_stream, s.shards) == ("jobs", "dead", 1)
    assert (s.max_retries, s.initial_backoff_ms, s.max_backoff_ms) == (3, 1_000, 60_000)
    assert s.max_payload_bytes == 256 * 1024 and s.max_batch_size == 1_000
    assert s.environment == "development" and not s.is_production
    assert s.api_keys == "" and s.rate_limit_per_s == 0


@pytest.mark.parametrize(
    "values",
    [
        {"redis_url": "http://x"},
        {"shards": 0},
        {"shards": 257},
        {"max_retries": -1},
        {"max_retries": 101},
        {"port": 0},
        {"port": 70_000},
        {"environment": "prod"},
        {"job_stream": "has space"},
        {"queue_prefix": "a:b"},
        {"max_payload_bytes": 0},
        {"worker_concurrency": 0},
        {"log_format": "xml"},
        {"visibility_timeout_ms": 0},
    ],
)
def test_invalid_values_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        build(**values)


def test_max_backoff_below_initial_backoff_is_refused() -> None:
    with pytest.raises(ValidationError, match="MAX_BACKOFF_MS"):
        build(initial_backoff_ms=500, max_backoff_ms=100)
    assert build(initial_backoff_ms=100, max_backoff_ms=100).max_backoff_ms == 100


def test_task_module_names_split_and_trimmed() -> None:
    assert build(task_modules=" a.b , ,c ").task_module_names == ["a.b", "c"]
    assert build().task_module_names == []


def test_production_flag() -> None:
    assert build(environment="production").is_production


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_RETRIES", "7")
    monkeypatch.setenv("SHARDS", "4")
    assert (build().max_retries, build().shards) == (7, 4)


def test_load_settings_exits_naming_the_bad_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")  # no .env file in the way
    monkeypatch.setenv("MAX_RETRIES", "lots")
    with pytest.raises(SystemExit) as exited:
        load_settings()
    message = str(exited.value.code)
    assert message.startswith("invalid configuration") and "MAX_RETRIES" in message


def test_load_settings_names_the_backoff_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    monkeypatch.setenv("INITIAL_BACKOFF_MS", "5000")
    monkeypatch.setenv("MAX_BACKOFF_MS", "10")
    with pytest.raises(SystemExit, match="MAX_BACKOFF_MS"):
        load_settings()


def test_load_settings_returns_settings_when_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6380/2")
    assert load_settings().redis_url == "redis://cache:6380/2"
