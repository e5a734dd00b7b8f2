"""A running Spark session listens on loopback only, and no secret is on any process's command line."""

from __future__ import annotations

import os
import subprocess

import pytest
from pyspark.sql import SparkSession

from infra.settings import settings

pytestmark = pytest.mark.integration


def listening_addresses(pid: int) -> set[str]:
    """Local addresses of the TCP sockets process `pid` listens on (from `ss`)."""
    lines = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout.splitlines()
    return {line.split()[3].rsplit(":", 1)[0] for line in lines if f"pid={pid}," in line}


def test_the_spark_driver_listens_on_loopback_only_and_has_no_ui(spark: SparkSession) -> None:
    jvm_pid = int(spark.sparkContext._jvm.ProcessHandle.current().pid())  # type: ignore[union-attr]
    addresses = listening_addresses(jvm_pid)
    assert addresses and addresses <= {"127.0.0.1", "[::ffff:127.0.0.1]"}, addresses
    assert spark.sparkContext.uiWebUrl is None


def test_no_secret_on_a_command_line(spark: SparkSession) -> None:
    secrets = [settings().s3_secret_key, settings().pg_password]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        assert not any(secret and secret in command for secret in secrets), f"pid {pid}: {command[:200]}"
