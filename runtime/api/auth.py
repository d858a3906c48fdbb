"""API keys: hashed in configuration, compared in constant time, each with a role and a tenant."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sys
from dataclasses import dataclass
from typing import Literal

from runtime.errors import InvalidRequest, TaskQueueError

Role = Literal["admin", "submit", "read"]
ROLES: tuple[Role, ...] = ("admin", "submit", "read")
KEY_ENTRY = re.compile(r"sha256:[0-9a-fA-F]{64}:(admin|submit|read)(:[^:\s]+)?")


class Unauthorized(TaskQueueError):
    """Raised when a request carries no API key, or one that is not configured."""


class Forbidden(TaskQueueError):
    """Raised when a key's role does not allow the operation."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: their role and, for tenant keys, the only tenant they may see."""

    role: Role
    tenant: str | None = None

    def require(self, *roles: Role) -> None:
        """Raise Forbidden unless this principal has one of `roles`."""
        if self.role not in roles:
            raise Forbidden(f"an API key with role {self.role!r} may not do this")

    def require_all_tenants(self) -> None:
        """Raise Forbidden for a tenant's key: deployment-wide figures count every tenant's jobs
        (and name the workers' hosts), which one tenant must not see."""
        if self.tenant is not None:
            raise Forbidden("a tenant's key may not see figures that span every tenant")


ANONYMOUS_ADMIN = Principal(role="admin")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One configured key: the SHA-256 of the secret, never the secret itself."""

    digest: bytes
    role: Role
    tenant: str | None


def parse_keys(config: str) -> list[ApiKey]:
    """Parse API_KEYS (`sha256:<hex>:<role>[:<tenant>]`, comma-separated)."""
    keys: list[ApiKey] = []
    for entry in filter(None, (e.strip() for e in config.split(","))):
        if not KEY_ENTRY.fullmatch(entry):
            # a 64-hex digest, so a pasted secret or a truncated hash never becomes a dead key,
            # and a non-empty tenant, so "tenant:" cannot quietly mean "every tenant"
            raise InvalidRequest(
                f"API_KEYS entry {entry[:12]}… must be sha256:<64 hex>:<admin|submit|read>[:tenant]"
            )
        parts = entry.split(":")
        role: Role = parts[2]  # type: ignore[assignment]
        keys.append(ApiKey(bytes.fromhex(parts[1]), role, parts[3] if len(parts) == 4 else None))
    return keys


def digest_of(secret: str) -> bytes:
    """The SHA-256 of a presented key (keys are random 32-byte tokens, so no salt is needed)."""
    return hashlib.sha256(secret.encode()).digest()


def authenticate(keys: list[ApiKey], presented: str | None) -> Principal:
    """The principal for a presented key; every configured key is compared, in constant time."""
    if presented is None:
        raise Unauthorized("this endpoint needs an API key (Authorization: Bearer … or X-API-Key)")
    digest = digest_of(presented)
    found: ApiKey | None = None
    for key in keys:
        if hmac.compare_digest(key.digest, digest):
            found = key
    if found is None:
        raise Unauthorized("the API key is not valid")
    return Principal(role=found.role, tenant=found.tenant)


def new_key(role: Role, tenant: str | None = None) -> tuple[str, str]:
    """A fresh secret and the API_KEYS entry that accepts it."""
    secret = "dtq_" + secrets.token_urlsafe(32)
    entry = f"sha256:{digest_of(secret).hex()}:{role}" + (f":{tenant}" if tenant else "")
    return secret, entry


if __name__ == "__main__":
    # python -m runtime.api.auth <role> [tenant]: print a new key and its API_KEYS entry
    role_arg = sys.argv[1] if len(sys.argv) > 1 else "admin"
    if role_arg not in ROLES:
        raise SystemExit(f"role must be one of {', '.join(ROLES)}")
    key, config_entry = new_key(role_arg, sys.argv[2] if len(sys.argv) > 2 else None)  # type: ignore[arg-type]
    print(f"key (give to the client): {key}\nAPI_KEYS entry (server):  {config_entry}")
