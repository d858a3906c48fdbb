"""A realistic HTTP mix for DTQ: create (single and idempotent), read, list, cancel.

    locust -f tests/load/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8000

`make load` starts a local stack and runs this headless with bounded users and duration.
Set DTQ_API_KEY when the API needs a key.
"""

from __future__ import annotations

import os
import random
import uuid

from locust import FastHttpUser, between, task


class Operator(FastHttpUser):
    """A client app that submits work and checks on it, like a web backend would."""

    wait_time = between(0.01, 0.1)

    def on_start(self) -> None:
        """Authenticate (when a key is set) and remember the jobs this user created."""
        key = os.environ.get("DTQ_API_KEY")
        self.headers = {"X-API-Key": key} if key else {}
        self.job_ids: list[str] = []

    def _create(self, body: dict[str, object], idempotent: bool = False) -> None:
        headers = dict(self.headers)
        if idempotent:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        with self.client.post(
            "/jobs", json=body, headers=headers, name="POST /jobs", catch_response=True
        ) as answer:
            if answer.status_code in (200, 201):
                self.job_ids = [*self.job_ids, answer.json()["id"]][-200:]
                answer.success()
            else:
                answer.failure(f"status {answer.status_code}")

    @task(10)
    def create_job(self) -> None:
        """Submit a small synthetic job."""
        self._create({"task_type": "synthetic", "payload": {"rounds": 50}}, idempotent=True)

    @task(2)
    def create_slow_job(self) -> None:
        """Submit a job that sleeps a little (something to cancel)."""
        self._create({"task_type": "sleep", "payload": {"seconds": 2}})

    @task(20)
    def get_job(self) -> None:
        """Check on one of our jobs."""
        if self.job_ids:
            job_id = random.choice(self.job_ids)
            self.client.get(f"/jobs/{job_id}", headers=self.headers, name="GET /jobs/{id}")

    @task(3)
    def list_jobs(self) -> None:
        """Look at the newest jobs, sometimes filtered."""
        query = random.choice(["", "?status=succeeded", "?task_type=sleep", "?limit=20"])
        self.client.get(f"/jobs{query}", headers=self.headers, name="GET /jobs")

    @task(1)
    def cancel_job(self) -> None:
        """Cancel one of our jobs (409 when it already finished is a normal answer)."""
        if self.job_ids:
            job_id = random.choice(self.job_ids)
            with self.client.post(
                f"/jobs/{job_id}/cancel",
                headers=self.headers,
                name="POST /jobs/{id}/cancel",
                catch_response=True,
            ) as answer:
                if answer.status_code in (200, 409):
                    answer.success()

    @task(2)
    def metrics(self) -> None:
        """Poll the metrics like a dashboard."""
        self.client.get("/metrics", headers=self.headers, name="GET /metrics")
