"""The operator dashboard in a real browser against the local stack (`python -m runtime.dev`)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import E2E_API_KEY, PHONE, Stack, save_screenshot

# a stack start plus a browser scenario: longer than the suite-wide per-test timeout allows
pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

SETTLE_TIMEOUT_MS = 20_000


def stat_number(page: Page, test_id: str) -> int:
    """The integer shown in an overview stat card ("1,234" → 1234)."""
    text = page.get_by_test_id(test_id).locator(".stat-value").inner_text()
    digits = re.sub(r"[^0-9]", "", text)
    return int(digits) if digits else 0


def create_job(stack: Stack, **body: Any) -> dict[str, Any]:
    """Arrange a job through the API; returns the created job."""
    with stack.api() as api:
        response = api.post("/jobs", json=body)
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    return job


def get_job(stack: Stack, job_id: str) -> dict[str, Any]:
    """The job with its history, as the job page reads it."""
    with stack.api() as api:
        response = api.get(f"/jobs/{job_id}")
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


def wait_for_job(
    stack: Stack, job_id: str, statuses: set[str], timeout_s: float = 20.0
) -> dict[str, Any]:
    """Poll the API until the job reaches one of `statuses`."""
    deadline = time.monotonic() + timeout_s
    job = get_job(stack, job_id)
    while job["status"] not in statuses and time.monotonic() < deadline:
        time.sleep(0.2)
        job = get_job(stack, job_id)
    assert job["status"] in statuses, job
    return job


def job_status_badge(page: Page) -> Any:
    """The status pill in the job page's heading."""
    return page.locator("h1 .badge[data-status]")


def test_overview_shows_live_numbers_as_jobs_run(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.base_url}/#/")
    expect(page.get_by_test_id("connection")).to_have_text("Connected")
    expect(page.get_by_test_id("stat-created")).to_be_visible()
    created_before = stat_number(page, "stat-created")
    completed_before = stat_number(page, "stat-completed")

    with stack.api() as api:
        response = api.post("/dev/generate-jobs", json={"count": 40, "task_type": "noop"})
    assert response.status_code == 202, response.text

    # no reload: the numbers arrive through polling
    expect(page.get_by_test_id("stat-created").locator(".stat-value")).not_to_have_text(
        str(created_before), timeout=SETTLE_TIMEOUT_MS
    )
    page.wait_for_function(
        """([before, want]) => {
            const el = document.querySelector('[data-testid="stat-completed"] .stat-value');
            return el && Number(el.textContent.replace(/[^0-9]/g, '')) >= before + want;
        }""",
        arg=[completed_before, 40],
        timeout=SETTLE_TIMEOUT_MS,
    )
    assert stat_number(page, "stat-created") >= created_before + 40
    expect(page.get_by_test_id("workers-table")).to_contain_text("/")

    # a mixed second wave, so the screenshot shows running, retried and dead-lettered work
    mixed = (
        [{"task_type": "synthetic"}] * 30
        + [{"task_type": "flaky", "payload": {"fail_times": 1}}] * 3
        + [{"task_type": "fail", "payload": {"message": "card declined"}, "max_retries": 0}] * 2
        + [{"task_type": "sleep", "payload": {"seconds": 4}}] * 2
    )
    with stack.api() as api:
        response = api.post("/jobs/batch", json={"jobs": mixed})
    assert response.status_code == 201, response.text
    page.get_by_role("group", name="Chart window").get_by_role("button", name="2 min").click()
    expect(page.get_by_test_id("stat-running").locator(".stat-value")).to_have_text(
        "2", timeout=SETTLE_TIMEOUT_MS
    )
    expect(page.get_by_test_id("stat-dlq").locator(".stat-value")).not_to_have_text(
        "0", timeout=SETTLE_TIMEOUT_MS
    )
    expect(page.get_by_test_id("throughput-chart")).to_be_visible(timeout=SETTLE_TIMEOUT_MS)
    expect(page.get_by_test_id("latency-chart")).to_be_visible(timeout=SETTLE_TIMEOUT_MS)
    save_screenshot(page, "overview")
    page.emulate_media(color_scheme="dark")
    save_screenshot(page, "overview-dark")
    page.emulate_media(color_scheme="light")

    page.set_viewport_size(PHONE)
    expect(page.get_by_test_id("stat-backlog")).to_be_visible()
    save_screenshot(page, "overview-phone")


def test_create_job_in_form_and_follow_it_to_succeeded(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.base_url}/#/new")
    form = page.get_by_role("form", name="New job")
    form.get_by_label("Task type").select_option("echo")
    payload = form.get_by_label("Payload (JSON object)")
    payload.fill("{not json")
    expect(page.get_by_text(re.compile("^Invalid JSON"))).to_be_visible()
    payload.fill('{"message": "hello from the browser"}')
    form.get_by_label("Partition key").fill("e2e-tenant")
    save_screenshot(page, "new-job")
    form.get_by_role("button", name="Create job").click()

    expect(page).to_have_url(re.compile(r"/#/jobs/[^/]+$"))
    expect(job_status_badge(page)).to_have_text("succeeded", timeout=SETTLE_TIMEOUT_MS)
    expect(page.get_by_test_id("payload")).to_contain_text("hello from the browser")
    expect(page.get_by_test_id("result")).to_be_visible()
    expect(page.get_by_test_id("attempts-table")).to_contain_text("succeeded")
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)
    save_screenshot(page, "job")

    page.get_by_role("link", name="Jobs", exact=True).first.click()
    expect(page.get_by_test_id("jobs-table")).to_be_visible()
    page.get_by_label("Status").select_option("succeeded")
    expect(page.get_by_test_id("jobs-table").locator(".badge").first).to_have_text("succeeded")
    page.get_by_label("Status").select_option("")
    save_screenshot(page, "jobs")


def test_failing_job_reaches_dead_letters_and_is_replayed(page: Page, stack: Stack) -> None:
    job = create_job(stack, task_type="fail", payload={"message": "e2e boom"}, max_retries=0)
    first_death = wait_for_job(stack, job["id"], {"dead"})

    page.goto(f"{stack.base_url}/#/dead-letters")
    row = page.locator(f'tr[data-job-id="{job["id"]}"]')
    expect(row).to_contain_text("e2e boom")
    save_screenshot(page, "dead-letters")

    row.get_by_role("button", name="Replay").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Replay job")
    dialog.get_by_role("button", name="Replay").click()
    expect(page.get_by_role("status").filter(has_text="Replayed job")).to_be_visible()

    # `fail` always fails, so the replayed job runs once more and is dead-lettered again
    deadline = time.monotonic() + 20
    replayed = get_job(stack, job["id"])
    while not (
        replayed["status"] == "dead" and replayed["finished_at"] > first_death["finished_at"]
    ):
        assert time.monotonic() < deadline, replayed
        time.sleep(0.2)
        replayed = get_job(stack, job["id"])

    page.goto(f"{stack.base_url}/#/jobs/{job['id']}")
    expect(page.get_by_test_id("attempts-table").locator("tbody tr")).to_have_count(
        len(replayed["history"])
    )
    expect(page.get_by_test_id("last-error")).to_contain_text("e2e boom")


def test_running_sleep_job_is_cancelled_from_its_page(page: Page, stack: Stack) -> None:
    job = create_job(stack, task_type="sleep", payload={"seconds": 30})
    page.goto(f"{stack.base_url}/#/jobs/{job['id']}")
    expect(job_status_badge(page)).to_have_text("running", timeout=SETTLE_TIMEOUT_MS)

    page.get_by_role("button", name="Cancel job").click()
    dialog = page.get_by_role("dialog", name="Cancel this job?")
    save_screenshot(page, "cancel-dialog")
    dialog.get_by_role("button", name="Cancel job").click()

    expect(job_status_badge(page)).to_have_text("cancelled", timeout=SETTLE_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)
    assert get_job(stack, job["id"])["status"] == "cancelled"


def test_error_state_shows_when_the_api_stops(page: Page, own_stack: Stack) -> None:
    page.goto(f"{own_stack.base_url}/#/")
    expect(page.get_by_test_id("stat-backlog")).to_be_visible()

    own_stack.stop()

    alert = page.get_by_role("alert").filter(has_text="API unreachable")
    expect(alert.first).to_be_visible(timeout=SETTLE_TIMEOUT_MS)
    expect(page.get_by_test_id("connection")).to_have_text(
        "API unreachable", timeout=SETTLE_TIMEOUT_MS
    )
    save_screenshot(page, "error-unreachable")


def test_api_key_is_asked_for_and_remembered(page: Page, keyed_stack: Stack) -> None:
    page.goto(f"{keyed_stack.base_url}/#/")
    alert = page.get_by_role("alert").filter(has_text="API key required").first
    expect(alert).to_be_visible()
    save_screenshot(page, "api-key")

    alert.get_by_label("API key").fill(E2E_API_KEY)
    alert.get_by_role("button", name="Save key").click()
    expect(page.get_by_test_id("stat-backlog")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)

    page.reload()
    expect(page.get_by_test_id("stat-backlog")).to_be_visible()
