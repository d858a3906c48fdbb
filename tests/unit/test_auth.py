"""API keys: configuration parsing, constant-time authentication, fresh keys and roles."""

from __future__ import annotations

import hashlib

import pytest

from runtime.api.auth import (
    ROLES,
    ApiKey,
    Forbidden,
    Principal,
    Unauthorized,
    authenticate,
    digest_of,
    new_key,
    parse_keys,
)
from runtime.errors import InvalidRequest

HEX = hashlib.sha256(b"secret").hexdigest()


def test_parse_keys_reads_role_and_optional_tenant() -> None:
    keys = parse_keys(f"sha256:{HEX}:admin, sha256:{HEX}:read:acme ,")
    assert keys == [
        ApiKey(bytes.fromhex(HEX), "admin", None),
        ApiKey(bytes.fromhex(HEX), "read", "acme"),
    ]


def test_parse_keys_of_empty_config_is_no_keys() -> None:
    assert parse_keys("") == [] and parse_keys(" , ") == []


@pytest.mark.parametrize(
    "entry",
    [
        f"md5:{HEX}:admin",
        f"sha256:{HEX}",
        f"sha256:{HEX}:root",
        f"sha256:{HEX}:read:a:b",
        "sha256:zz:admin",
        f"sha256:{HEX[:-2]}:admin",
        f"sha256:{HEX}:read:",
        "plain-secret",
    ],
)
def test_parse_keys_refuses_malformed_entries(entry: str) -> None:
    with pytest.raises(InvalidRequest, match="API_KEYS"):
        parse_keys(entry)


def test_parse_keys_error_does_not_echo_the_whole_entry() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_keys("supersecretvalue-that-should-not-be-logged")
    assert "should-not-be-logged" not in str(refused.value)


def test_authenticate_accepts_the_right_key_with_its_role_and_tenant() -> None:
    secret_a, entry_a = new_key("submit", "acme")
    secret_b, entry_b = new_key("read")
    keys = parse_keys(f"{entry_a},{entry_b}")
    assert authenticate(keys, secret_a) == Principal(role="submit", tenant="acme")
    assert authenticate(keys, secret_b) == Principal(role="read", tenant=None)


def test_authenticate_refuses_a_wrong_key() -> None:
    _, entry = new_key("admin")
    with pytest.raises(Unauthorized, match="not valid"):
        authenticate(parse_keys(entry), "dtq_wrong")


def test_authenticate_refuses_a_missing_key() -> None:
    _, entry = new_key("admin")
    with pytest.raises(Unauthorized, match="needs an API key"):
        authenticate(parse_keys(entry), None)


def test_authenticate_refuses_an_empty_key() -> None:
    _, entry = new_key("admin")
    with pytest.raises(Unauthorized):
        authenticate(parse_keys(entry), "")


def test_new_key_round_trips_through_its_config_entry() -> None:
    secret, entry = new_key("read", "t1")
    assert secret.startswith("dtq_") and len(secret) > 40
    assert entry == f"sha256:{digest_of(secret).hex()}:read:t1"
    (key,) = parse_keys(entry)
    assert (key.digest, key.role, key.tenant) == (digest_of(secret), "read", "t1")
    assert new_key("read")[0] != new_key("read")[0]


def test_roles_allow_only_what_they_name() -> None:
    assert ROLES == ("admin", "submit", "read")
    Principal("admin").require("admin", "submit")
    Principal("submit").require("admin", "submit")
    with pytest.raises(Forbidden, match="'read'"):
        Principal("read").require("admin", "submit")
    with pytest.raises(Forbidden):
        Principal("submit").require("admin")
