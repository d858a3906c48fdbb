"""`make run` (runtime.dev): the whole stack starts, Ctrl-C stops every process, and a restart
keeps every accepted job (the local server's append-only file)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from runtime.localserver import free_port


def start_stack(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        PORT=str(port),
        DTQ_DATA_DIR=str(data_dir),
        UI_DIST_DIR="/none",
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    with open(data_dir.parent / f"stack-{port}.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "runtime.dev"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the stack did not become ready")


def call(port: int, method: str, path: str, body: object | None = None) -> dict[str, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return dict(json.loads(answer.read()))


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.timeout(120)
def test_ctrl_c_stops_everything_and_a_restart_keeps_accepted_jobs(tmp_path: Path) -> None:
    tmp_path = tmp_path / "data"
    port = free_port()
    stack = start_stack(tmp_path, port)
    try:
        done = call(port, "POST", "/jobs", {"task_type": "echo", "payload": {"n": 1}})
        waiting = call(port, "POST", "/jobs", {"task_type": "noop", "delay_ms": 600_000})
        deadline = time.monotonic() + 15
        while call(port, "GET", f"/jobs/{done['id']}")["status"] != "succeeded":
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        stack.send_signal(signal.SIGINT)
        assert stack.wait(40) == 0
    time.sleep(0.5)
    assert not group_alive(stack.pid), "a process of the stack outlived Ctrl-C"
    assert list(tmp_path.glob("appendonly*")), "the local server keeps an append-only file"
    again = start_stack(tmp_path, port)
    try:
        assert call(port, "GET", f"/jobs/{waiting['id']}")["status"] == "scheduled"
        assert call(port, "GET", f"/jobs/{done['id']}")["result"] == {"n": 1}
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(40) == 0
