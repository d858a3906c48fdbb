"""Deployment-wide figures (metrics, workers, DLQ purge) count or touch every tenant's jobs:
a tenant's key is refused them (403), a key without a tenant is not."""

from __future__ import annotations

from runtime.api.auth import new_key
from tests.conftest import SettingsFactory
from tests.integration.test_api import serve
from tests.security.conftest import Figures

OPERATOR, OPERATOR_ENTRY = new_key("read")
ACME, ACME_ENTRY = new_key("admin", "acme")
WIDE = [
    ("GET", "/metrics"), ("GET", "/metrics/prometheus"), ("GET", "/metrics/timeseries"),
    ("GET", "/workers"),
]  # fmt: skip


async def test_tenant_keys_do_not_see_deployment_wide_figures(
    make_settings: SettingsFactory, figures: Figures
) -> None:
    async with serve(make_settings(api_keys=f"{OPERATOR_ENTRY},{ACME_ENTRY}")) as client:
        tenant = {p: (await client.request(m, p, headers={"X-API-Key": ACME})) for m, p in WIDE}
        purge = await client.delete("/dlq", headers={"X-API-Key": ACME})
        operator = {
            p: (await client.request(m, p, headers={"X-API-Key": OPERATOR})) for m, p in WIDE
        }
        own = await client.get("/jobs", headers={"X-API-Key": ACME})
    leaks = [p for p, r in tenant.items() if r.status_code != 403]
    figures(f"S3+ tenant_wide_figures_leaks={len(leaks)} purge={purge.status_code}")
    assert leaks == [] and purge.status_code == 403
    assert all(r.json()["error"]["code"] == "Forbidden" for r in tenant.values())
    assert all(r.status_code == 200 for r in operator.values())
    assert own.status_code == 200
