"""All configuration in one typed place: environment variables with documented defaults.

Values come from the process environment first, then from the git-ignored `.env` in the repository root
(written once per install by `rainforest stack up`), then from the defaults below. `.env.example` documents
every variable.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = REPO_ROOT / ".env"
# Nothing phones home: Prefect's SDK analytics, its server's telemetry, OpenTelemetry exporters (Soda installs one).
NO_TELEMETRY = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "OTEL_SDK_DISABLED": "true"}
DSN_PASSWORD_KEYS = ("password", "sslpassword")
DSN_KEY_VALUE = re.compile(r"([^\s=]+)\s*=\s*('(?:[^'\\]|\\.)*'?|(?:[^\s\\]|\\.)*)")  # libpq's key = 'value' pairs
URL_QUERY_PARAMETER = re.compile(r"[?&]([^?&=]*)=([^&]*)")


def no_telemetry() -> None:
    """Set NO_TELEMETRY in this process and its children; call it before Prefect or Soda is imported."""
    os.environ.update(NO_TELEMETRY)


def read_env_file(path: Path = ENV_FILE) -> dict[str, str]:
    """Parse `KEY=value` lines (no shell expansion); a missing file is empty."""
    if not path.exists():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _dsn_password_spans(dsn: str) -> list[tuple[int, int]]:
    """Where a DSN holds passwords, in each form libpq reads: a URL's user info (`postgresql://user:pw@host`) and
    query (`?password=pw`, keys percent-encoded or not), or `key=value` pairs. A URL's user info runs to its last
    `@`: an unusual URL (an `@` in a query value) is redacted beyond its password rather than leak a piece of it."""
    if not dsn.startswith(("postgresql://", "postgres://")):
        return [match.span(2) for match in DSN_KEY_VALUE.finditer(dsn) if match[1].lower() in DSN_PASSWORD_KEYS]
    start = dsn.index("://") + 3
    user_info, at, _ = dsn[start:].rpartition("@")
    user, colon, _ = user_info.partition(":")
    spans = []
    if at and colon and not any(character in user for character in "@/"):
        spans.append((start + len(user) + 1, start + len(user_info)))
        start += len(user_info) + 1
    return spans + [(start + match.start(2), start + match.end(2))
                    for match in URL_QUERY_PARAMETER.finditer(dsn[start:])
                    if unquote(match[1]).lower() in DSN_PASSWORD_KEYS]


def redacted_dsn(dsn: str) -> str:
    """The DSN with each password replaced by `***`, to name the database in a message."""
    for begin, end in reversed(_dsn_password_spans(dsn)):
        dsn = f"{dsn[:begin]}***{dsn[end:]}"
    return dsn


def redacted(text: str, dsn: str) -> str:
    """`text` (libpq's error about `dsn`, say) without the DSN's passwords: whole, percent-decoded, unquoted, or a
    quoted piece of one that libpq complains about (`invalid integer value "s3" for connection option "port"`
    when a password holds a `/`)."""
    passwords = set()
    for begin, end in _dsn_password_spans(dsn):
        value = dsn[begin:end]
        passwords |= {value, unquote(value), re.sub(r"\\(.)", r"\1", value.strip("'"))}
    passwords.discard("")
    text = re.sub(r'"([^"]+)"', lambda quoted: '"***"' if any(quoted[1] in password for password in passwords)
                  else quoted[0], text)
    for password in sorted(passwords, key=len, reverse=True):
        text = text.replace(password, "***")
    return text


@dataclass(frozen=True)
class Settings:
    """What a run, a backfill, upkeep or a report needs: where the services are and how to sign in to them."""

    home: Path  # the writer lock, kept scan reports, the run report
    upstream_dsn: str
    s3_endpoint: str
    s3_region: str
    s3_access_key: str
    s3_secret_key: str
    catalog_uri: str
    warehouse: str
    spark_connect_host: str  # the Connect server as clients name it (`localhost`: see tables.engine.spark.remote)
    spark_connect_port: int
    spark_connect_token: str  # every client presents it; the server reads it from its environment
    shuffle_partitions: int
    range_days: int  # the most dates one range run takes together (1: every date runs alone)
    reports_dir: Path
    prefect_port: int
    prefect_auth: str
    prefect_api_url: str
    alert_webhook: str  # a failed or blocked run posts here (a Prefect automation `make deploy` creates)

    def s3_environment(self) -> dict[str, str]:
        """S3 and catalog (SigV4) credentials as the AWS SDK's environment variables: the Spark JVMs read them
        from their environment, never from a command line (`ps` shows `--conf` arguments)."""
        return {"AWS_ACCESS_KEY_ID": self.s3_access_key, "AWS_SECRET_ACCESS_KEY": self.s3_secret_key,
                "AWS_REGION": self.s3_region}

    def pyiceberg_properties(self) -> dict[str, str]:
        return {
            "type": "rest",
            "uri": self.catalog_uri,
            "warehouse": self.warehouse,
            "credential": f"{self.s3_access_key}:{self.s3_secret_key}",
            "s3.endpoint": self.s3_endpoint,
            "s3.access-key-id": self.s3_access_key,
            "s3.secret-access-key": self.s3_secret_key,
            "s3.region": self.s3_region,
            "s3.force-virtual-addressing": "false",
        }


@dataclass(frozen=True)
class StackSettings(Settings):
    """The local stack's own settings besides the runtime's (`infra/local`: `rainforest stack`, `make
    cluster-up`): how its Postgres, SeaweedFS and Spark processes are started. The pipeline never reads them."""

    pg_bin: Path
    pg_port: int
    pg_user: str
    pg_password: str
    pg_database: str
    seaweedfs_jwt_key: str
    spark_master: str
    spark_auth_secret: str  # a standalone cluster's master, workers and drivers share it (spark.authenticate)
    spark_driver_memory: str
    spark_driver_host: str
    jars_dir: Path

    @property
    def spark_events_dir(self) -> Path:
        """Spark's event logs, which the history server reads."""
        return self.home / "spark-events"

    def spark_auth_environment(self) -> dict[str, str]:
        """The standalone cluster's shared secret where Spark's security manager reads it first: the environment
        of its JVMs (a `--conf` or `-D` would show in `ps`)."""
        return {"_SPARK_AUTH_SECRET": self.spark_auth_secret}

    def spark_connect_environment(self) -> dict[str, str]:
        """The Connect server's token where it reads it (never its command line)."""
        return {"SPARK_CONNECT_AUTHENTICATE_TOKEN": self.spark_connect_token}


def _get(env: dict[str, str], key: str, default: str) -> str:
    return os.environ.get(key) or env.get(key) or default


def _runtime(env: dict[str, str]) -> dict[str, Any]:
    home = Path(_get(env, "RAINFOREST_HOME", str(REPO_ROOT / ".state")))
    pg_password = quote(_get(env, "RAINFOREST_PG_PASSWORD", ""), safe="")
    local_dsn = (f"postgresql://{_get(env, 'RAINFOREST_PG_USER', 'rainforest')}:{pg_password}@127.0.0.1:"
                 f"{_get(env, 'RAINFOREST_PG_PORT', '54329')}/{_get(env, 'RAINFOREST_PG_DATABASE', 'rainforest')}")
    return {
        "home": home,
        "upstream_dsn": _get(env, "RAINFOREST_UPSTREAM_DSN", local_dsn),  # default: the local stack's Postgres
        "s3_endpoint": _get(env, "RAINFOREST_S3_ENDPOINT", "http://127.0.0.1:8333"),
        "s3_region": _get(env, "RAINFOREST_S3_REGION", "us-east-1"),
        "s3_access_key": _get(env, "RAINFOREST_S3_ACCESS_KEY", ""),
        "s3_secret_key": _get(env, "RAINFOREST_S3_SECRET_KEY", ""),
        "catalog_uri": _get(env, "RAINFOREST_CATALOG_URI", "http://127.0.0.1:8181"),
        "warehouse": _get(env, "RAINFOREST_WAREHOUSE", "s3://lake/"),
        "spark_connect_host": _get(env, "RAINFOREST_SPARK_CONNECT_HOST", "localhost"),
        "spark_connect_port": int(_get(env, "RAINFOREST_SPARK_CONNECT_PORT", "15002")),
        "spark_connect_token": _get(env, "RAINFOREST_SPARK_CONNECT_TOKEN", ""),
        "shuffle_partitions": int(_get(env, "RAINFOREST_SHUFFLE_PARTITIONS", "4")),
        "range_days": max(1, int(_get(env, "RAINFOREST_RANGE_DAYS", "30"))),
        "reports_dir": Path(_get(env, "RAINFOREST_REPORTS_DIR", str(home / "reports"))),
        "prefect_port": int(_get(env, "RAINFOREST_PREFECT_PORT", "4200")),
        "prefect_auth": _get(env, "RAINFOREST_PREFECT_AUTH", ""),
        "prefect_api_url": _get(env, "PREFECT_API_URL", ""),
        "alert_webhook": _get(env, "RAINFOREST_ALERT_WEBHOOK", ""),
    }


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(**_runtime(read_env_file()))


def stack_settings() -> StackSettings:
    """Read when a stack command runs (not cached: it follows `.env` as `rainforest stack up` writes it)."""
    env = read_env_file()
    runtime = _runtime(env)
    return StackSettings(
        **runtime,
        pg_bin=Path(_get(env, "RAINFOREST_PG_BIN", "/usr/lib/postgresql/15/bin")),
        pg_port=int(_get(env, "RAINFOREST_PG_PORT", "54329")),
        pg_user=_get(env, "RAINFOREST_PG_USER", "rainforest"),
        pg_password=_get(env, "RAINFOREST_PG_PASSWORD", ""),
        pg_database=_get(env, "RAINFOREST_PG_DATABASE", "rainforest"),
        seaweedfs_jwt_key=_get(env, "RAINFOREST_SEAWEEDFS_JWT_KEY", ""),
        spark_master=_get(env, "SPARK_MASTER", "local[*]"),
        spark_auth_secret=_get(env, "RAINFOREST_SPARK_AUTH_SECRET", ""),
        spark_driver_memory=_get(env, "RAINFOREST_SPARK_DRIVER_MEMORY", "4g"),
        spark_driver_host=_get(env, "RAINFOREST_SPARK_DRIVER_HOST", "127.0.0.1"),
        jars_dir=Path(_get(env, "RAINFOREST_JARS_DIR", str(runtime["home"] / "jars"))),
    )
