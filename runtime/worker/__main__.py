"""`python -m runtime.worker`: read settings, connect, run the loop until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

from runtime.config import Settings, load_settings
from runtime.logs import configure_logging
from runtime.tasks.registry import REGISTRY, load_task_modules


async def serve(settings: Settings) -> int:
    """Run one worker process to completion; the exit code."""
    from runtime.broker.redis_broker import RedisBroker
    from runtime.worker.loop import Worker

    broker = RedisBroker(settings)
    await broker.bootstrap()
    worker = Worker(broker, REGISTRY, settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    try:
        return await worker.run()
    finally:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(broker.close(), 5)


def main() -> None:
    """Entry point: invalid settings stop start-up with a message naming the variable."""
    settings = load_settings()
    configure_logging(settings)
    load_task_modules(settings.task_module_names)
    try:
        import uvloop
    except ImportError:
        sys.exit(asyncio.run(serve(settings)))
    sys.exit(uvloop.run(serve(settings)))


if __name__ == "__main__":
    main()
