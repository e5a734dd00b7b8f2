"""Checks that name the service that is missing and how to start it, before any Spark work."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from urllib.parse import urlparse

import psycopg2

from infra.errors import CATALOG, S3, SPARK, UPSTREAM, RainforestError, ServiceUnavailableError
from infra.settings import redacted, redacted_dsn, settings


def connect_upstream() -> psycopg2.extensions.connection:
    """A connection to the upstream database. libpq's errors can quote the DSN: they are redacted, and raised
    from None, since a traceback would print the original error's text."""
    dsn = settings().upstream_dsn
    try:
        return psycopg2.connect(dsn, connect_timeout=5)
    except psycopg2.ProgrammingError as error:
        raise RainforestError(f"RAINFOREST_UPSTREAM_DSN {redacted_dsn(dsn)} is not a valid DSN: "
                              f"{redacted(str(error).strip(), dsn)}") from None
    except psycopg2.OperationalError as error:
        raise ServiceUnavailableError(UPSTREAM, redacted_dsn(dsn),
                                      redacted(str(error).strip(), dsn)) from None


def upstream_rows(sql: str) -> list[tuple]:
    """The rows a query on the upstream database returns."""
    conn = connect_upstream()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def upstream_row(sql: str) -> tuple:
    """The one row a query on the upstream database returns."""
    return upstream_rows(sql)[0]


def check_catalog() -> None:
    uri = settings().catalog_uri
    try:
        with urllib.request.urlopen(f"{uri}/v1/config", timeout=3):
            pass
    except (urllib.error.URLError, OSError) as error:
        raise ServiceUnavailableError(CATALOG, uri, str(error)) from error


def check_s3() -> None:
    endpoint = urlparse(settings().s3_endpoint)
    try:
        with socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=3):
            pass
    except OSError as error:
        raise ServiceUnavailableError(S3, settings().s3_endpoint, str(error)) from error


def check_lake() -> None:
    check_catalog()
    check_s3()


def check_spark() -> None:
    cfg = settings()
    try:
        with socket.create_connection(("127.0.0.1" if cfg.spark_connect_host == "localhost"
                                       else cfg.spark_connect_host, cfg.spark_connect_port), timeout=3):
            pass
    except OSError as error:
        raise ServiceUnavailableError(SPARK, f"{cfg.spark_connect_host}:{cfg.spark_connect_port}",
                                      str(error)) from error


def check_services() -> None:
    connect_upstream().close()
    check_lake()
    check_spark()
