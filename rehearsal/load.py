"""Open-loop load generator (`python -m rehearsal.load`), a process of its own so its timing does
not depend on the orchestrator. Fires on schedule whatever the answers (a stall shows up as latency,
not as a lower rate): 70 % GET /jobs/{id} of known ids, 30 % POST /jobs with unique
Idempotency-Keys, some of them `sleep` jobs of 1–3 s so that worker drains have work in flight.
Stops on SIGTERM, at --max-s or after rate × max-s requests; writes every request to --out.
The API key comes from $DTQ_REHEARSAL_LOAD_KEY (not the command line, which `ps` shows).

A lean HTTP/1.1 client on asyncio streams (a few µs per request, so the client's own CPU does not
colour the figures), one connection per request (`Connection: close`): an nginx reload closes idle
client keep-alive connections and resets a request sent at that instant, a race of nginx standing
in for the ALB, not of the deployment under test; nginx → API keeps its keep-alive pool, which is
where a deregistration can hurt. Latency counts from the *scheduled* send time (no coordinated
omission). Row per request: [t_scheduled (monotonic), latency_s, kind, outcome]; kind 0 GET,
1 POST noop, 2 POST sleep; outcome = HTTP status, or CONN / TIMEOUT / OTHER below.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

CONN, TIMEOUT, OTHER = 0, -1, -2
GET, POST_NOOP, POST_SLEEP = 0, 1, 2


class Http:
    """One request per connection to host:port; returns (status, body)."""

    def __init__(self, url: str, key: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = f"Host: {parts.netloc}\r\nX-API-Key: {key}\r\nConnection: close\r\n"
        self.timeout_s = timeout_s

    async def request(
        self, method: str, path: str, extra: str = "", body: bytes = b""
    ) -> tuple[int, bytes]:
        """Send one request, read the answer to EOF."""
        return await asyncio.wait_for(self._exchange(method, path, extra, body), self.timeout_s)

    async def _exchange(self, method: str, path: str, extra: str, body: bytes) -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            length = f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n"
            head = f"{method} {path} HTTP/1.1\r\n{self.head}{extra}{length if body else ''}\r\n"
            writer.write(head.encode() + body)
            data = await reader.read(-1)
        finally:
            writer.close()
        if not data:
            raise ConnectionResetError("closed without an answer")
        header, _, payload = data.partition(b"\r\n\r\n")
        if b"transfer-encoding: chunked" in header.lower():
            payload = dechunk(payload)
        return int(header.split(b" ", 2)[1]), payload


def dechunk(data: bytes) -> bytes:
    """The body of a chunked transfer encoding."""
    out, rest = b"", data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


class Generator:
    """The schedule, the known job ids, and the history of every request."""

    def __init__(self, http: Http, rate: float, seed: int, sleep_share: float) -> None:
        self.http = http
        self.rate = rate
        self.rng = random.Random(seed)
        self.run_id = f"{seed:x}-{time.time_ns():x}"
        self.sleep_share = sleep_share
        self.known: list[str] = []
        self.rows: list[list[float]] = []
        self.errors: dict[str, int] = {}
        self.stopping = asyncio.Event()

    async def one(self, n: int, kind: int, scheduled: float) -> None:
        """Send request n and record it."""
        try:
            if kind == GET:
                status, _ = await self.http.request("GET", f"/jobs/{self.rng.choice(self.known)}")
            else:
                key = f"Idempotency-Key: {self.run_id}-{n}\r\n"
                status, body = await self.http.request("POST", "/jobs", key, self.body(kind, n))
                if status in (200, 201):
                    self.known.append(json.loads(body)["id"])
            outcome = status
        except TimeoutError as exc:
            outcome = self.error(TIMEOUT, exc)
        except OSError as exc:
            outcome = self.error(CONN, exc)
        except Exception as exc:
            outcome = self.error(OTHER, exc)
        self.rows.append([scheduled, time.monotonic() - scheduled, kind, outcome])

    def error(self, code: int, exc: Exception) -> int:
        """Count the exception by class name; the outcome code."""
        name = type(exc).__name__
        self.errors[name] = self.errors.get(name, 0) + 1
        return code

    def body(self, kind: int, n: int) -> bytes:
        """A noop with a nonce, or a sleep of 1–3 s."""
        if kind == POST_SLEEP:
            seconds = round(self.rng.uniform(1, 3), 2)
            return json.dumps({"task_type": "sleep", "payload": {"seconds": seconds}}).encode()
        return json.dumps({"task_type": "noop", "payload": {"nonce": n}}).encode()

    def kind(self) -> int:
        """70 % reads of known ids, 30 % writes (sleep_share of them sleep jobs)."""
        if self.known and self.rng.random() < 0.7:
            return GET
        return POST_SLEEP if self.rng.random() < self.sleep_share else POST_NOOP

    async def run(self, max_s: float) -> None:
        """Fire on schedule until stopped, then wait for the answers still out."""
        for n in range(10):  # seed the known ids, one at a time
            await self.one(-1 - n, POST_NOOP, time.monotonic())
        print(f"started {time.monotonic():.6f}", flush=True)
        pending: set[asyncio.Task[None]] = set()
        t0, total = time.monotonic(), int(self.rate * max_s)
        for n in range(total):
            scheduled = t0 + n / self.rate
            # always yield, even when behind schedule, so answers and SIGTERM get handled
            await asyncio.sleep(max(0.0, scheduled - time.monotonic()))
            if self.stopping.is_set():
                break
            task = asyncio.create_task(self.one(n, self.kind(), scheduled))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.wait(pending, timeout=self.http.timeout_s + 5)

    def write(self, path: Path) -> None:
        """The history, the accepted job ids and the error classes, as JSON."""
        doc = {"rows": self.rows, "accepted": self.known, "errors": self.errors}
        path.write_text(json.dumps(doc))


async def main(args: argparse.Namespace) -> None:
    """Run the generator against --url until SIGTERM or --max-s."""
    with contextlib.suppress(OSError):  # a client on another machine: our lag is not the API's
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)
    http = Http(args.url, os.environ["DTQ_REHEARSAL_LOAD_KEY"], args.timeout_s)
    gen = Generator(http, args.rate, args.seed, args.sleep_share)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, gen.stopping.set)
    loop.add_signal_handler(signal.SIGINT, gen.stopping.set)
    try:
        await gen.run(args.max_s)
    finally:
        gen.write(Path(args.out))


def parse(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="python -m rehearsal.load")
    p.add_argument("--url", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--max-s", type=float, default=600.0)
    p.add_argument("--timeout-s", type=float, default=10.0)
    p.add_argument("--sleep-share", type=float, default=0.15)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--nice", type=int, default=-5, help="scheduling priority, when permitted")
    return p.parse_args(argv)


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(parse(sys.argv[1:])))
    else:
        uvloop.run(main(parse(sys.argv[1:])))
