"""DTQ's side of the peer benchmark contract (../shared/bench/peers/README.md).

    python -m bench.throughput --redis-url redis://127.0.0.1:6390/0 --jobs 20000

Enqueues N no-op jobs one awaited call at a time with runtime.client.AsyncClient (full job
state: hash, stream entry, indexes, counters), starts ONE `python -m runtime.worker` process,
and reports the drain rate as measured by the shared harness. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench.peers import REPO, harness
from runtime.client import AsyncClient
from runtime.config import Settings


def worker_env(args: argparse.Namespace) -> dict[str, str]:
    """The worker's environment: the bench task module, quiet logs, the chosen width."""
    return {
        "REDIS_URL": args.redis_url, "TASK_MODULES": "bench.tasks", "LOG_LEVEL": "WARNING",
        "WORKER_CONCURRENCY": str(args.concurrency), "WORKER_BATCH_SIZE": str(args.batch),
        "SHARDS": str(args.shards), "PYTHONPATH": str(REPO),
    }  # fmt: skip


async def enqueue_all(args: argparse.Namespace) -> dict[str, object]:
    """Time N sequential enqueues through the Python client."""
    settings = Settings(_env_file=None, redis_url=args.redis_url, shards=args.shards)  # type: ignore[call-arg]
    async with AsyncClient(settings) as dtq:
        result: dict[str, object] = await harness.time_enqueue_async(
            args.redis_url, lambda: dtq.enqueue("peerbench.noop"), args.jobs
        )
    return result


def main() -> None:
    """Run one measurement and print its JSON line."""
    p = harness.base_parser(__doc__.splitlines()[0])
    p.add_argument("--concurrency", type=int, default=100, help="WORKER_CONCURRENCY")
    p.add_argument("--batch", type=int, default=100, help="WORKER_BATCH_SIZE")
    p.add_argument("--shards", type=int, default=1, help="SHARDS")
    p.add_argument("--workers", type=int, default=1, help="worker processes (1 = the contract)")
    args = p.parse_args()
    harness.install_signal_handlers()
    harness.flush_db(args.redis_url)
    import bench.tasks  # noqa: F401  (registers the task type for the client's defaults)

    enq = asyncio.run(enqueue_all(args))
    cmd = [sys.executable, "-m", "runtime.worker"]
    if args.workers > 1:
        cmd = [sys.executable, "-m", "bench.fleet", str(args.workers)]
    w = harness.run_worker_until_done(
        cmd, args.redis_url, args.jobs, args.timeout, args.worker_log,
        extra_env=worker_env(args), stop_grace_s=10.0,
    )  # fmt: skip
    harness.report(
        "dtq", "0.1.0", args.jobs, enq, w,
        worker=f"{args.workers} process(es), asyncio, concurrency {args.concurrency}, "
        f"batch {args.batch}, full job state + at-least-once bookkeeping",
        config=f"w={args.workers},c={args.concurrency},b={args.batch},shards={args.shards}",
    )  # fmt: skip


if __name__ == "__main__":
    main()
