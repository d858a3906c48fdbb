"""queue_keys() and global_keys(): one hash tag per shard, stable names."""

from __future__ import annotations

import re

from runtime.broker.keys import global_keys, index_key, job_key, queue_keys

HASH_TAG = re.compile(r"\{([^}]*)\}")


def test_every_key_of_a_shard_shares_one_hash_tag() -> None:
    for shard in range(4):
        keys = queue_keys("dtq", "jobs", "dead", shard)
        tags = {HASH_TAG.search(k).group(1) for k in keys}  # type: ignore[union-attr]
        assert tags == {str(shard)}


def test_keys_of_different_shards_never_collide() -> None:
    all_keys = [k for s in range(8) for k in queue_keys("dtq", "jobs", "dead", s)]
    assert len(all_keys) == len(set(all_keys))


def test_shard_key_names() -> None:
    keys = queue_keys("dtq", "jobs", "dead", 0)
    assert keys.stream == "dtq:{0}:jobs" and keys.dead == "dtq:{0}:dead"
    assert (keys.delayed, keys.expiry, keys.stats) == (
        "dtq:{0}:delayed",
        "dtq:{0}:expiry",
        "dtq:{0}:stats",
    )
    assert job_key(keys, "abc-0") == "dtq:{0}:job:abc-0"
    assert index_key(keys, "all") == "dtq:{0}:idx:all"
    assert index_key(keys, "queued") == "dtq:{0}:idx:queued"
    assert keys.idempotency_prefix == "dtq:{0}:idem:" and keys.series_prefix == "dtq:{0}:ts:"


def test_stream_names_and_prefix_come_from_settings() -> None:
    keys = queue_keys("t7", "work", "graveyard", 2)
    assert keys.stream == "t7:{2}:work" and keys.dead == "t7:{2}:graveyard"


def test_global_keys_have_no_shard_tag() -> None:
    g = global_keys("dtq")
    assert g == ("dtq:workers", "dtq:worker:", "dtq:cancel", "dtq:epoch")
    assert not any(HASH_TAG.search(k) for k in g)
