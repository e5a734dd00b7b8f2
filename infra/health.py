"""Checks that name the service that is missing and how to start it, before any Spark work."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from urllib.parse import urlparse

from infra.errors import CATALOG, S3, SPARK, ServiceUnavailableError
from infra.settings import settings
from infra.upstream_db import connect_upstream


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
