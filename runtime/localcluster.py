"""LocalCluster: a real Valkey/Redis Cluster on loopback (primaries + replicas) for tests, bench.

Built from the same server binary as LocalServer, one process and data folder per node, created
with the `valkey-cli --cluster create` shipped beside it; every process is stopped by its PID.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from runtime.localserver import LocalServer, server_binary


def cli_binary() -> str:
    """valkey-cli (or redis-cli) next to the server binary, else on PATH."""
    server = Path(server_binary())
    for name in ("valkey-cli", "redis-cli"):
        beside = server.with_name(name)
        if beside.exists():
            return str(beside)
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError("no valkey-cli/redis-cli next to the server binary or on PATH")


def cluster_port() -> int:
    """A free port whose cluster-bus port (+10000) is free too, below the ephemeral range."""
    for _ in range(200):
        port = random.randrange(20_000, 22_000)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10_000))
            return port
        except OSError:
            continue
    raise OSError("no free port pair for a cluster node")


@dataclass
class LocalCluster:
    """`primaries` × (1 + `replicas`) nodes; start() returns once every node is cluster_state:ok."""

    data_dir: Path
    primaries: int = 3
    replicas: int = 1
    appendonly: bool = False
    appendfsync: str = "everysec"
    node_timeout_ms: int = 2_000
    nodes: list[LocalServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        """REDIS_URL of the first node (the client discovers the others)."""
        return self.nodes[0].url

    def _node(self, index: int) -> LocalServer:
        folder = self.data_dir / f"node{index}"
        args = [
            "--cluster-enabled", "yes", "--cluster-config-file", str(folder / "nodes.conf"),
            "--cluster-node-timeout", str(self.node_timeout_ms),
            # the shards of live nodes keep answering while one primary fails over
            "--cluster-require-full-coverage", "no",
        ]  # fmt: skip
        return LocalServer(folder, port=cluster_port(), appendonly=self.appendonly,
                           appendfsync=self.appendfsync, extra_args=args)  # fmt: skip

    def start(self, timeout_s: float = 60.0) -> LocalCluster:
        """Start the nodes, assign slots and replicas, wait until the cluster is ok everywhere."""
        self.nodes = [self._node(i) for i in range(self.primaries * (1 + self.replicas))]
        try:
            for node in self.nodes:
                node.start()
            addresses = [f"127.0.0.1:{n.port}" for n in self.nodes]
            subprocess.run(
                [cli_binary(), "--cluster", "create", *addresses,
                 "--cluster-replicas", str(self.replicas), "--cluster-yes"],
                check=True, capture_output=True, timeout=timeout_s,
            )  # fmt: skip
            self.wait_until_ok(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def cli(self, node: LocalServer, *command: str) -> str:
        """One command sent to one node with valkey-cli; its text answer."""
        done = subprocess.run(
            [cli_binary(), "-p", str(node.port), *command],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        return done.stdout

    def wait_until_ok(self, timeout_s: float = 60.0) -> None:
        """Wait until every running node reports cluster_state:ok and its replicas are linked."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            live = [n for n in self.nodes if n.pid is not None]
            if all(self._is_settled(n) for n in live):
                return
            time.sleep(0.1)
        raise TimeoutError(f"cluster not ok within {timeout_s} s")

    def _is_settled(self, node: LocalServer) -> bool:
        info = self.cli(node, "cluster", "info")
        if "cluster_state:ok" not in info or "cluster_slots_ok:16384" not in info:
            return False
        role = self.cli(node, "info", "replication")
        return "role:master" in role or "master_link_status:up" in role

    def primary_of_slot(self, slot: int) -> LocalServer:
        """The running node that serves `slot` as primary now."""
        for node in self.nodes:
            if node.pid is None:
                continue
            for line in self.cli(node, "cluster", "nodes").splitlines():
                fields = line.split()
                is_me = "myself" in fields[2] and "master" in fields[2]
                if is_me and any(_covers(r, slot) for r in fields[8:]):
                    return node
        raise LookupError(f"no running primary serves slot {slot}")

    def stop(self) -> None:
        """Stop every node by its PID."""
        for node in self.nodes:
            node.stop(kill=True)


def _covers(slot_range: str, slot: int) -> bool:
    if slot_range.startswith("["):
        return False  # a slot being migrated, not owned
    low, _, high = slot_range.partition("-")
    return int(low) <= slot <= int(high or low)
