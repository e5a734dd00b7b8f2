"""Closed by construction: the stack and a Spark session listen on loopback only, SeaweedFS gives nothing to a
request without credentials on any of its ports, no secret is on a command line, and secrets and state are
private from the moment they are written."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from pyspark.sql.connect.session import SparkSession as RemoteSession

from infra.local.tls import ensure_certificates
from infra.settings import ENV_FILE, settings, stack_settings
from tables.engine.lake import catalog

pytestmark = pytest.mark.integration
LOOPBACK = {"127.0.0.1", "[::ffff:127.0.0.1]", "[::1]"}
FILER, VOLUME, MASTER = 8888, 9340, 9333  # `weed mini` defaults (S3 and Iceberg ports come from settings)


def listening_ports(pid: int) -> dict[int, str]:
    """Port → local address of the TCP sockets process `pid` listens on (from `ss`)."""
    lines = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout.splitlines()
    found = {}
    for line in lines:
        if f"pid={pid}," in line:
            address, port = line.split()[3].rsplit(":", 1)
            found[int(port)] = address
    return found


def stack_pids() -> dict[str, int]:
    home = settings().home
    return {"postgres": int((home / "postgres" / "data" / "postmaster.pid").read_text().split()[0]),
            "seaweedfs": int((home / "seaweedfs" / "weed.pid").read_text()),
            "prefect": int((home / "prefect-server" / "server.pid").read_text()),
            "spark": int((home / "spark" / "connect.pid").read_text())}


def http_status(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def signed(key: str) -> dict[str, str]:
    """A bearer token as SeaweedFS signs its own requests (HS256 JWT): proves a refused path exists."""
    def part(data: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=")
    message = part({"alg": "HS256", "typ": "JWT"}) + b"." + part({"exp": int(time.time()) + 60})
    signature = base64.urlsafe_b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).rstrip(b"=")
    return {"Authorization": f"Bearer {(message + b'.' + signature).decode()}"}


PROBES: list[RemoteSession] = []


def connect_answer(token: str | None) -> str:
    """What the Connect server answers a client presenting `token` (None: no token at all)."""
    cfg = stack_settings()
    url = f"sc://localhost:{cfg.spark_connect_port}/" + (f";token={token}" if token is not None else "")
    session = RemoteSession(connection=url)
    PROBES.append(session)  # never collected: PySpark's finalizer of a session can deadlock (tables.engine.spark._kept)
    try:
        return str(session.sql("SELECT 1 AS one").collect())
    except Exception as error:
        return str(error)
    finally:
        session.stop()


def test_the_spark_connect_server_refuses_a_client_without_the_token() -> None:
    assert "UNAUTHENTICATED" in connect_answer(None)
    assert "UNAUTHENTICATED" in connect_answer("not-the-token")
    assert connect_answer(settings().spark_connect_token) == "[Row(one=1)]"  # the token is all that was missing


def test_the_spark_connect_server_has_no_web_ui(spark: SparkSession) -> None:
    assert spark.conf.get("spark.ui.enabled") == "false"


def test_every_service_of_the_stack_listens_on_loopback_only() -> None:
    for service, pid in stack_pids().items():
        ports = listening_ports(pid)
        assert ports, f"{service} (pid {pid}) listens on nothing"
        outside = {port: address for port, address in ports.items() if address not in LOOPBACK}
        assert not outside, f"{service} listens beyond loopback: {outside}"


def test_seaweedfs_serves_no_table_file_without_credentials(spark: SparkSession) -> None:
    spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.closed")
    spark.sql("DROP TABLE IF EXISTS lake.closed.probe PURGE")
    spark.sql("CREATE TABLE lake.closed.probe (id BIGINT, note STRING) USING iceberg")
    spark.sql("INSERT INTO lake.closed.probe SELECT id, repeat('x', 200) FROM range(20000)")
    table = catalog().load_table("closed.probe")
    bucket, _, key = table.metadata_location.removeprefix("s3://").partition("/")
    metadata = f"http://127.0.0.1:{FILER}/buckets/{bucket}/{key}"
    token = signed(stack_settings().seaweedfs_jwt_key)
    assert http_status(metadata) == 401
    assert http_status(metadata, token) == 200  # the path is right: only the credentials were missing
    assert http_status(f"http://127.0.0.1:{FILER}/buckets/") == 401
    data_file = next(iter(table.inspect.files().column("file_path").to_pylist()))
    bucket, _, key = data_file.removeprefix("s3://").partition("/")
    with urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{FILER}/buckets/{bucket}/{key}?metadata=true", headers=token), timeout=5) as answer:
        chunks = json.load(answer).get("chunks") or []
    assert chunks, "the data file is stored in volume chunks"
    assert http_status(f"http://127.0.0.1:{VOLUME}/{chunks[0]['file_id']}") == 401
    s3_object = f"{settings().s3_endpoint}/{bucket}/{key}"
    assert http_status(s3_object) in (401, 403)
    catalog_table = f"{settings().catalog_uri}/v1/namespaces/closed/tables/probe"
    assert http_status(catalog_table) in (401, 403)
    spark.sql("DROP TABLE lake.closed.probe PURGE")


def assigned_file_id(context: ssl.SSLContext | None = None) -> str | None:
    """The file id the master's `POST /dir/assign` hands out (over HTTPS with `context`), None when it refuses."""
    url = f"{'https' if context else 'http'}://127.0.0.1:{MASTER}/dir/assign"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=5, context=context) as answer:
            return json.load(answer).get("fid")
    except (OSError, ValueError):  # an HTTP error status, a refused TLS handshake, an answer that is not JSON
        return None


def test_the_seaweedfs_master_assigns_no_file_id_without_a_client_certificate() -> None:
    """Its HTTP API (file ids, volumes, deleting a bucket's collection) answers only holders of the local CA's
    certificate, as its gRPC port does."""
    certificates = ensure_certificates(settings().home / "seaweedfs" / "tls")
    context = ssl.create_default_context(cafile=str(certificates.ca))
    context.check_hostname = False
    assert assigned_file_id() is None
    assert assigned_file_id(context) is None
    context.load_cert_chain(certificates.cert, certificates.key)
    with urllib.request.urlopen(f"https://127.0.0.1:{MASTER}/dir/status", timeout=5, context=context) as answer:
        assert answer.status == 200  # with the certificate the master answers: only the credentials were missing


def tls_refuses_without_a_client_certificate(port: int, ca: Path) -> bool:
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False
    context.maximum_version = ssl.TLSVersion.TLSv1_2  # the refusal then comes in the handshake
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        try:
            context.wrap_socket(raw).close()
        except (ssl.SSLError, ConnectionResetError):
            return True
    return False


def test_every_other_seaweedfs_port_demands_a_client_certificate() -> None:
    cfg = stack_settings()
    http_ports = {FILER, VOLUME, MASTER, int(cfg.s3_endpoint.rsplit(":", 1)[1]),
                  int(cfg.catalog_uri.rsplit(":", 1)[1])}
    grpc_ports = set(listening_ports(stack_pids()["seaweedfs"])) - http_ports
    assert len(grpc_ports) >= 4, grpc_ports  # master, volume, filer and S3 at least
    certificates = ensure_certificates(cfg.home / "seaweedfs" / "tls")
    for port in sorted(grpc_ports):
        assert tls_refuses_without_a_client_certificate(port, certificates.ca), f"port {port} answers anyone"
    context = ssl.create_default_context(cafile=str(certificates.ca))
    context.check_hostname = False
    context.load_cert_chain(certificates.cert, certificates.key)
    with socket.create_connection(("127.0.0.1", min(grpc_ports)), timeout=5) as raw:
        context.wrap_socket(raw).close()  # with the certificate the handshake succeeds


def test_no_secret_on_a_command_line(spark: SparkSession) -> None:
    cfg = stack_settings()
    secrets = [cfg.s3_secret_key, cfg.pg_password, cfg.seaweedfs_jwt_key, cfg.prefect_auth.partition(":")[2],
               cfg.spark_connect_token, cfg.spark_auth_secret]
    assert all(secrets)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        assert not any(secret in command for secret in secrets), f"pid {pid}: {command[:200]}"


def test_secrets_and_state_are_private() -> None:
    assert stat.S_IMODE(ENV_FILE.stat().st_mode) == 0o600
    home = settings().home
    for folder in (home, home / "seaweedfs", home / "seaweedfs" / "tls", home / "prefect-server", home / "reports"):
        if folder.exists():
            mode = stat.S_IMODE(folder.stat().st_mode)
            # group/others get nothing; as root, others may traverse (x) so the `postgres` user reaches its data
            assert mode & 0o077 in (0, 0o001), f"{folder}: {oct(mode)}"
    for secret_file in (home / "seaweedfs" / "s3.json", home / "seaweedfs" / "tls" / "seaweedfs.key"):
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600, secret_file
