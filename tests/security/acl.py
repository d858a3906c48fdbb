"""Least-privilege Redis ACL users for the API and the worker.

Each user may touch only keys `<prefix>:*` and pub/sub channels `<prefix>:*`, and run only the
commands its side really sends, directly or from the Lua scripts (Redis checks a script's
commands against the calling user too). Found by running the API and worker round trips under
these users with `ACL LOG` watched (tests/security/test_s11_acl.py); keep both in step with
runtime/broker/ and its lua/ folder.

`python -m tests.security.acl <api|worker> [prefix]` prints the ACL SETUSER line (with a
placeholder password hash).
"""

from __future__ import annotations

import hashlib
import sys
from typing import Literal

Role = Literal["api", "worker"]

# both sides: connect, bootstrap (consumer group, epoch key), run scripts
COMMON = [
    "ping", "client|setinfo", "get", "set", "xgroup|create", "evalsha", "script|load", "time",
    "hget", "hmget", "hset", "hdel", "hincrby", "hgetall", "expire", "del",
    "zadd", "zrem", "zrange", "zrangebyscore", "xadd", "xack", "xdel", "xrange",
    "xinfo|groups",  # bootstrap on a full server: does the group XGROUP CREATE refused exist?
]  # fmt: skip
COMMANDS: dict[Role, list[str]] = {
    # enqueue/cancel/list/replay/purge scripts, stats, workers, series, WAIT_REPLICAS
    "api": [
        *COMMON, "zcard", "zrevrangebylex", "xlen", "publish", "wait",
    ],
    # reading, start/settle/renew/reclaim/promote/sweep/hand-back scripts, heartbeats, cancels
    "worker": [
        *COMMON, "xreadgroup", "xautoclaim", "xclaim", "xpending", "xinfo|consumers",
        "xgroup|delconsumer", "subscribe",
    ],
}  # fmt: skip


def acl_rules(role: Role, prefix: str = "dtq") -> list[str]:
    """The rules (after `ACL SETUSER <name> reset on <password>`) of one side's user."""
    return [f"~{prefix}:*", f"&{prefix}:*", "-@all", *(f"+{c}" for c in COMMANDS[role])]


def setuser(name: str, password: str, role: Role, prefix: str = "dtq") -> list[str]:
    """The whole ACL SETUSER command: a fresh user, on, password kept only as its SHA-256."""
    digest = hashlib.sha256(password.encode()).hexdigest()
    return ["ACL", "SETUSER", name, "reset", "on", f"#{digest}", *acl_rules(role, prefix)]


if __name__ == "__main__":
    side: Role = "worker" if sys.argv[1:2] == ["worker"] else "api"
    rules = acl_rules(side, sys.argv[2] if len(sys.argv) > 2 else "dtq")
    print(f"ACL SETUSER dtq-{side} reset on #<sha256 of the password> {' '.join(rules)}")
