"""S1: schemathesis over every operation (examples, coverage, fuzzing, stateful; every check),
through the ASGI app with a real broker and an admin key. 0 failures, 0 5xx."""

from __future__ import annotations

import collections
import copy
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from schemathesis.engine import from_schema as engine_for
from schemathesis.python import asgi

from runtime.api.app import create_app
from runtime.api.auth import new_key
from runtime.config import Settings
from runtime.tasks.registry import REGISTRY
from tests.conftest import SettingsFactory, wait_for
from tests.integration.test_api import StartWorker, serve
from tests.security.conftest import Figures

ADMIN, ADMIN_ENTRY = new_key("admin")
MAX_EXAMPLES = int(os.environ.get("DTQ_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("DTQ_FUZZ_SEED", "20261127"))
GENERATE_MAX = 200  # /dev/generate-jobs may make 100 000 jobs; fuzzing it that big only costs time


@pytest.fixture
async def seeded(make_settings: SettingsFactory, start_worker: StartWorker) -> Settings:
    """A queue with dead, succeeded and queued jobs, so replay and links have real targets."""
    settings = make_settings(api_keys=ADMIN_ENTRY, max_retries=0)
    async with serve(settings, **{"X-API-Key": ADMIN}) as client:
        worker = await start_worker(settings)
        for task in ("fail", "fail", "fail", "echo", "echo"):
            assert (await client.post("/jobs", json={"task_type": task})).status_code == 201

        async def settled() -> bool:
            dead = (await client.get("/dlq")).json()["items"]
            done = (await client.get("/jobs", params={"status": "succeeded"})).json()["items"]
            return len(dead) == 3 and len(done) == 2

        await wait_for(settled)
        worker.stop()
        await client.post("/jobs", json={"task_type": "noop", "delay_ms": 3_600_000})
    return settings


def fuzzable_schema(app: Any) -> schemathesis.schemas.BaseSchema:
    """The app's own OpenAPI document, with two facts of this deployment written into it:
    the registered task types (any other is a 422 by design) and a small generator count."""
    raw = copy.deepcopy(app.openapi())
    components = raw["components"]["schemas"]
    components["GenerateCreate"]["properties"]["count"]["maximum"] = GENERATE_MAX
    for model in ("JobCreate", "GenerateCreate"):
        task_type = components[model]["properties"]["task_type"]
        task_type.pop("pattern", None)
        task_type["enum"] = REGISTRY.names()
    config = SchemathesisConfig.from_dict({
        "seed": SEED,
        "workers": 1,
        "auth": {"openapi": {"ApiKey": {"api_key": ADMIN}}},
        "checks": {"enabled": True},
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "database": "none"},
        "phases": {
            "examples": {"enabled": True}, "coverage": {"enabled": True},
            "fuzzing": {"enabled": True}, "stateful": {"enabled": True, "max-steps": 20},
        },
        # the count cap is the test's, not the API's: above it is valid, so no negative cases
        "operations": [{"include-path": "/dev/generate-jobs", "generation": {"mode": "positive"}}],
    })  # fmt: skip
    schema = schemathesis.openapi.from_dict(raw, config=config)
    schema.app = app
    schema.location = "/openapi.json"
    return schema


@dataclass
class Tally:
    """What the engine's events add up to."""

    tested: set[str] = field(default_factory=set)
    cases: int = 0
    five_xx: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, event: events.EngineEvent) -> None:
        """Count one event's requests, statuses, failed checks and errors."""
        if isinstance(event, events.NonFatalError | events.FatalError):
            self.errors.append(str(getattr(event, "info", None) or getattr(event, "exception", "")))
        if not isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            return
        recorder = event.recorder
        for case_id, interaction in recorder.interactions.items():
            self.cases += 1
            self.tested.add(recorder.cases[case_id].value.operation.label)
            if interaction.response is not None:
                self.statuses[interaction.response.status_code] += 1
                self.five_xx += interaction.response.status_code >= 500
        for case_id, checks in recorder.checks.items():
            request = recorder.interactions[case_id].request
            self.failures += [
                f"{recorder.label}: {c.name}: {c.failure_info.failure.title} "
                f"({request.method} {request.uri})"
                for c in checks
                if c.failure_info is not None and c.status.value == "failure"
            ]


@pytest.mark.timeout(180)
def test_s1_every_operation_fuzzed_without_failures_or_5xx(
    seeded: Settings, figures: Figures
) -> None:
    app = create_app(seeded)
    schema = fuzzable_schema(app)
    documented = {f"{m.upper()} {p}" for p, ops in app.openapi()["paths"].items() for m in ops}
    tally = Tally()
    try:
        for event in engine_for(schema).execute():
            tally.add(event)
    finally:
        asgi.shutdown_lifespans()  # the app's broker closes in the loop it ran in
    figures(
        f"S1 operations={len(tally.tested)} cases={tally.cases} failures={len(tally.failures)}"
        f" five_xx={tally.five_xx} errors={len(tally.errors)} max_examples={MAX_EXAMPLES}"
        f" seed={SEED} statuses={dict(sorted(tally.statuses.items()))}"
    )
    assert not tally.errors, tally.errors[:5]
    assert not tally.failures, "\n".join(sorted(set(tally.failures))[:30])
    assert tally.five_xx == 0
    assert tally.tested == documented, f"never exercised: {sorted(documented - tally.tested)}"


async def test_s1_contract_fixes_hold(make_settings: SettingsFactory) -> None:
    """What the fuzzing found, pinned: numbers are not coerced from booleans or strings, a 405
    names every method of the path, a non-JSON route documents its JSON errors."""
    async with serve(make_settings()) as client:
        for value in (False, "3"):
            r = await client.post("/jobs", json={"task_type": "echo", "max_retries": value})
            assert r.status_code == 422, r.text
        assert (await client.post("/jobs", json={"task_type": "echo", "max_retries": 3.0})).json()[
            "max_retries"
        ] == 3
        assert (await client.put("/jobs")).headers["Allow"] == "GET, POST"
        assert (await client.get("/jobs/batch/x")).status_code == 404
        assert (await client.delete("/jobs/batch")).headers["Allow"] == "POST"
        doc = (await client.get("/openapi.json")).json()
        prometheus = doc["paths"]["/metrics/prometheus"]["get"]["responses"]["401"]
        assert list(prometheus["content"]) == ["application/json"]
        assert {"ApiKey", "Bearer"} == set(doc["components"]["securitySchemes"])
        assert (
            doc["paths"]["/jobs"]["post"]["security"]
            and "security" not in (doc["paths"]["/health/live"]["get"])
        )
