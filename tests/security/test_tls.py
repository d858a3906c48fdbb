"""TLS to Redis: rediss:// with a CA bundle and AUTH against Debian's redis-server (built with
TLS), certificates made at test time in a temporary folder. Round trip enqueue → worker →
succeeded; a wrong password, a wrong CA or plain TCP fails fast as BrokerUnavailable."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from runtime.broker.redis_broker import RedisBroker
from runtime.config import Settings
from runtime.errors import BrokerUnavailable
from runtime.localserver import free_port
from tests.conftest import wait_for
from tests.integration.test_api import StartWorker, serve
from tests.security.conftest import Figures

FAIL_FAST_S = 5.0


def make_ca(folder: Path, name: str) -> tuple[Path, ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A throwaway CA: its certificate file, key and certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                       key_agreement=False, encipher_only=False, decipher_only=False),
                       critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    path = folder / f"{name}.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, key, cert


def make_server_cert(
    folder: Path, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate
) -> tuple[Path, Path]:
    """A server certificate for 127.0.0.1 and localhost, signed by the CA; key file mode 0600."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"),
        ]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class TlsServer:
    """A TLS-only redis-server on loopback with AUTH."""

    port: int
    password: str
    ca: Path
    other_ca: Path

    def settings(self, prefix: str, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "redis_url": f"rediss://127.0.0.1:{self.port}/0",
            "redis_password": self.password,
            "redis_ca_cert": str(self.ca),
            "queue_prefix": prefix,
            "worker_block_ms": 100, "heartbeat_interval_ms": 200, "reclaim_interval_ms": 100,
            "worker_shutdown_grace_s": 2.0, "log_level": "WARNING", "ui_dist_dir": "/nonexistent",
        }  # fmt: skip
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _answers_tls(port: int, ca: Path) -> bool:
    context = ssl.create_default_context(cafile=str(ca))
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=0.5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as s,
        ):
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


@pytest.fixture
def tls_server() -> Iterator[TlsServer]:
    binary = shutil.which("redis-server")
    assert binary, "TLS test needs Debian's redis-server (apt-get install redis-server)"
    with tempfile.TemporaryDirectory(prefix="dtq-tls-") as name:
        folder = Path(name)
        ca, ca_key, ca_cert = make_ca(folder, "dtq-test-ca")
        other_ca, _, _ = make_ca(folder, "someone-else-ca")
        cert, key = make_server_cert(folder, ca_key, ca_cert)
        server = TlsServer(free_port(), secrets.token_urlsafe(24), ca, other_ca)
        process = subprocess.Popen(
            [binary, "--port", "0", "--tls-port", str(server.port), "--bind", "127.0.0.1",
             "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca,
             "--tls-auth-clients", "no", "--requirepass", server.password, "--save", "",
             "--appendonly", "no", "--dir", folder, "--logfile", folder / "redis.log"],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while not _answers_tls(server.port, ca):
                assert process.poll() is None, (folder / "redis.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "TLS redis-server did not answer"
                time.sleep(0.05)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def refusal(settings: Settings) -> tuple[str, float]:
    """Bootstrap a broker with these settings: the error it raised and how long it took."""
    broker = RedisBroker(settings)
    started = time.monotonic()
    try:
        await asyncio.wait_for(broker.bootstrap(), FAIL_FAST_S * 2)
    except BrokerUnavailable as exc:
        return f"BrokerUnavailable: {str(exc)[:80]}", time.monotonic() - started
    except Exception as exc:  # reported below: anything but BrokerUnavailable fails the test
        return f"{type(exc).__name__}: {str(exc)[:80]}", time.monotonic() - started
    finally:
        await broker.close()
    return "connected", time.monotonic() - started


@pytest.mark.timeout(60)
async def test_tls_round_trip_and_refusals(
    tls_server: TlsServer, start_worker: StartWorker, figures: Figures
) -> None:
    prefix = f"tls{secrets.randbelow(10**6)}"
    settings = tls_server.settings(prefix)
    started = time.monotonic()
    await start_worker(settings)
    async with serve(settings) as client:
        created = await client.post("/jobs", json={"task_type": "echo", "payload": {"tls": 1}})
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]

        async def succeeded() -> bool:
            return (await client.get(f"/jobs/{job_id}")).json()["status"] == "succeeded"

        await wait_for(succeeded)
        result = (await client.get(f"/jobs/{job_id}")).json()["result"]
        ready = (await client.get("/health/ready")).status_code
    round_trip_s = time.monotonic() - started

    other_ca = str(tls_server.other_ca)
    refusals = {
        "wrong_password": await refusal(tls_server.settings(prefix, redis_password="wrong")),
        "no_password": await refusal(tls_server.settings(prefix, redis_password=None)),
        "wrong_ca": await refusal(tls_server.settings(prefix, redis_ca_cert=other_ca)),
        "plain_tcp": await refusal(
            tls_server.settings(prefix, redis_url=f"redis://127.0.0.1:{tls_server.port}/0")
        ),
    }  # fmt: skip
    figures(
        f"TLS round_trip=succeeded round_trip_s={round_trip_s:.2f} ready={ready} "
        + " ".join(f"{k}={v[0].split(':')[0]}/{v[1]:.2f}s" for k, v in refusals.items())
    )
    assert result == {"tls": 1} and ready == 200
    for name, (error, seconds) in refusals.items():
        assert error.startswith("BrokerUnavailable"), (name, error)
        assert seconds < FAIL_FAST_S, (name, seconds)
