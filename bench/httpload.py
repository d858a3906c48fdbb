"""A small HTTP/1.1 keep-alive load generator on raw asyncio streams (low overhead per request).

Closed loop (`closed_loop`): C connections, each sends its next request when the previous answer
arrives, for a fixed time. Open loop (`open_loop`): requests fire on a fixed schedule whatever the
answers, so a stall shows up as latency. Loopback only; every run is bounded in time.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """Answers by status and their latencies in ms."""

    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed_s: float = 0.0

    @property
    def rps(self) -> float:
        """Answers per second."""
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, q: float) -> float:
        """The q-quantile (0..1) of the latencies, in ms."""
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")


def request_bytes(path: str, body: bytes, host: str = "127.0.0.1") -> bytes:
    """One POST request with a JSON body."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response; its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _connection(port: int, payload: bytes, stop_at: float, result: LoadResult) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            writer.write(payload)
            status = await read_response(reader)
            result.latencies_ms.append((time.perf_counter() - t0) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
    except (OSError, asyncio.IncompleteReadError):
        result.errors += 1
    finally:
        writer.close()


async def closed_loop(port: int, payload: bytes, connections: int, seconds: float) -> LoadResult:
    """`connections` keep-alive connections sending back to back for `seconds`."""
    result = LoadResult()
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(*(_connection(port, payload, stop_at, result) for _ in range(connections)))
    result.elapsed_s = time.perf_counter() - start
    return result
