"""`python -m bench.cluster`: bench.throughput's end-to-end contract on a local Redis Cluster.

    python -m bench.cluster [--jobs 5000] [--shards 1,3,6]

Starts a local cluster of 3 primaries (no replicas, no persistence: the bench server's setup),
then per SHARDS value: enqueue N no-op jobs one awaited call at a time with the Python client,
start ONE `python -m runtime.worker` with REDIS_CLUSTER=true, and time the drain (the harness
polls the INCR counter on the node that owns its slot). A standalone server with SHARDS=1 runs
first as the reference. Prints one JSON line per configuration, then a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from redis.crc import key_slot

from bench import stack
from bench.peers import REPO, harness
from runtime.client import AsyncClient
from runtime.config import Settings
from runtime.localcluster import LocalCluster


def counter_url(cluster: LocalCluster) -> str:
    """URL of the primary that owns the harness's counter key (a plain client can INCR it)."""
    return cluster.primary_of_slot(key_slot(harness.COUNTER_KEY.encode())).url


def flush(cluster: LocalCluster) -> None:
    """FLUSHALL on every primary."""
    for node in cluster.nodes:
        cluster.cli(node, "flushall")


async def enqueue_all(settings: Settings, counter: str, jobs: int) -> dict[str, object]:
    """Time N sequential enqueues through the Python client."""
    async with AsyncClient(settings) as dtq:
        result: dict[str, object] = await harness.time_enqueue_async(
            counter, lambda: dtq.enqueue("peerbench.noop"), jobs
        )
    return result


def measure(url: str, counter: str, shards: int, jobs: int, cluster: bool) -> dict[str, object]:
    """One run of the contract; the harness's JSON line (also printed)."""
    settings = Settings(_env_file=None, redis_url=url, redis_cluster=cluster, shards=shards)  # type: ignore[call-arg]
    enq = asyncio.run(enqueue_all(settings, counter, jobs))
    env = {
        "REDIS_URL": url, "REDIS_CLUSTER": str(cluster).lower(), "SHARDS": str(shards),
        "TASK_MODULES": "bench.tasks", "LOG_LEVEL": "WARNING", "WORKER_CONCURRENCY": "100",
        "WORKER_BATCH_SIZE": "100", "PYTHONPATH": str(REPO),
    }  # fmt: skip
    cmd = [sys.executable, "-m", "runtime.worker"]
    w = harness.run_worker_until_done(cmd, counter, jobs, 300, extra_env=env, stop_grace_s=10)
    mode = "cluster" if cluster else "standalone"
    out: dict[str, object] = harness.report(
        "dtq", "0.1.0", jobs, enq, w, worker="1 process, concurrency 100, batch 100",
        config=f"{mode},shards={shards}",
    )  # fmt: skip
    return out


def main() -> None:
    """Reference run on one server, then SHARDS = 1, 3, 6 on the cluster; print a summary."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=5000)
    p.add_argument("--shards", default="1,3,6")
    args = p.parse_args()
    harness.install_signal_handlers()
    import bench.tasks  # noqa: F401  (registers the task type for the client's defaults)

    rows = []
    with stack.server() as server:
        rows.append(measure(server.url, server.url, 1, args.jobs, cluster=False))
    with tempfile.TemporaryDirectory(prefix="dtq-bench-cluster-") as folder:
        cluster = LocalCluster(Path(folder), replicas=0).start()
        try:
            for shards in (int(s) for s in args.shards.split(",")):
                flush(cluster)
                rows.append(measure(cluster.url, counter_url(cluster), shards, args.jobs, True))
        finally:
            cluster.stop()
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for row in rows:
        print(f"{row['config']:>22}: enqueue {row['enqueue_per_s']:>7} jobs/s, "
              f"process {row['process_per_s']:>7} jobs/s")  # fmt: skip


if __name__ == "__main__":
    main()
