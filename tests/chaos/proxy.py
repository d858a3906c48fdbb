"""A userspace TCP proxy on loopback: adds delay (R9, replication lag in R7) and flips its
target (R7: a DNS flip — new connections go to the new target, old ones stay where they were).

Run it as a process: `python -m tests.chaos.proxy LISTEN_PORT TARGET_PORT[,TARGET_PORT2]
[--delay-ms 50] [--jitter-ms 25] [--both]`; SIGUSR1 flips between the targets. Delays keep the
byte order of each direction (a chunk never overtakes an earlier one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import time
from dataclasses import dataclass, field


@dataclass
class Proxy:
    listen_port: int
    targets: list[int]
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    both: bool = False  # delay the server → client direction too
    current: int = 0
    connections: int = 0
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    def flip(self) -> None:
        self.current = (self.current + 1) % len(self.targets)

    async def serve(self) -> None:
        server = await asyncio.start_server(self._accept, "127.0.0.1", self.listen_port)
        async with server:
            await server.serve_forever()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.targets[self.current])
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_w}
        await asyncio.gather(
            self._pipe(reader, up_w, delayed=True),
            self._pipe(up_r, writer, delayed=self.both),
            return_exceptions=True,
        )
        for w in (writer, up_w):
            self._writers.discard(w)
            w.close()

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, delayed: bool
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        sender = asyncio.create_task(self._send(queue, dst))
        last = 0.0
        try:
            while chunk := await src.read(65536):
                due = time.monotonic()
                if delayed and (self.delay_ms or self.jitter_ms):
                    ms = max(0.0, self.delay_ms + random.uniform(-self.jitter_ms, self.jitter_ms))
                    due += ms / 1000
                last = max(last, due)
                queue.put_nowait((last, chunk))
            queue.put_nowait((last, b""))
            await sender
        finally:
            sender.cancel()
            with contextlib.suppress(Exception):
                dst.close()

    @staticmethod
    async def _send(queue: asyncio.Queue[tuple[float, bytes]], dst: asyncio.StreamWriter) -> None:
        while True:
            due, chunk = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not chunk:
                with contextlib.suppress(Exception):
                    dst.write_eof()
                return
            dst.write(chunk)
            await dst.drain()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("listen", type=int)
    parser.add_argument("targets")
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--both", action="store_true")
    args = parser.parse_args()
    proxy = Proxy(args.listen, [int(t) for t in args.targets.split(",")], args.delay_ms,
                  args.jitter_ms, args.both)  # fmt: skip

    async def run() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, proxy.flip)
        loop.add_signal_handler(signal.SIGTERM, os._exit, 0)
        await proxy.serve()

    with contextlib.suppress(RuntimeError, asyncio.CancelledError):
        asyncio.run(run())


if __name__ == "__main__":
    main()
