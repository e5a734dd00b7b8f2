"""Which faults are a service that may come back (retried, then one sentence) and which are not."""

from __future__ import annotations

import psycopg2
import pytest
from pyiceberg.exceptions import CommitStateUnknownException, NoSuchTableError, ServerError, ServiceUnavailableError

from infra.errors import CATALOG, S3, SPARK, QualityGateError, fault_detail, transient_service

FILER_NOT_UP = ("InternalServerError: failed to fetch policies: LookupEntry1: rpc error: code = Unavailable desc = "
                "connection error: desc = \"transport: Error while dialing: dial unix "
                "/tmp/seaweedfs-filer-grpc-18888.sock: connect: no such file or directory\"")


@pytest.mark.parametrize("error", [ServerError(FILER_NOT_UP), ServiceUnavailableError("Slow down"),
                                   CommitStateUnknownException("InternalServerError: commit")])
def test_a_5xx_answer_of_the_catalog_is_transient(error: Exception) -> None:
    assert transient_service(error) == CATALOG


def test_a_5xx_answer_raised_from_deeper_down_is_still_transient() -> None:
    try:
        try:
            raise ServerError(FILER_NOT_UP)
        except ServerError as cause:
            raise RuntimeError("loading lake.silver.fact_orders failed") from cause
    except RuntimeError as error:
        assert transient_service(error) == CATALOG
        assert "code = Unavailable" in fault_detail(error)


def test_the_jvm_side_of_a_restarting_lake_is_transient() -> None:
    jvm = Exception("An error occurred while calling o123.sql.\n: org.apache.iceberg.exceptions."
                    "ServiceFailureException: Server error: InternalServerError: failed to fetch policies")
    assert transient_service(jvm) == CATALOG
    s3 = OSError("When reading information for key 'x' in bucket 'lake': AWS Error NETWORK_CONNECTION during "
                 "HeadObject operation: curlCode: 7, Couldn't connect to server")
    assert transient_service(s3) == S3


def test_a_run_branch_not_found_while_the_catalog_restarts_is_transient() -> None:
    restarting = Exception("[TABLE_OR_VIEW_NOT_FOUND] The table or view `lake`.`bronze`.`category`."
                           "`branch_run_20261110_20261130t085607z_20bb0d` cannot be found.")
    assert transient_service(restarting) == CATALOG
    assert transient_service(Exception("[TABLE_OR_VIEW_NOT_FOUND] The table or view `lake`.`gold`.`nope` "
                                       "cannot be found.")) is None


@pytest.mark.parametrize("error", [NoSuchTableError("Table does not exist: silver.nope"),
                                   ValueError("Invalid date 2026-13-45"),
                                   QualityGateError("silver.fact_orders", "run_x", ["duplicate_count(order_id) = 2"],
                                                    "/tmp/report.json")])
def test_a_wrong_request_or_a_failed_check_is_not_transient(error: Exception) -> None:
    assert transient_service(error) is None


def test_a_spark_connect_server_that_is_gone_is_transient_and_named() -> None:
    from pyspark.errors.exceptions.connect import SparkConnectException, SparkConnectGrpcException

    gone = SparkConnectGrpcException(
        "<_MultiThreadedRendezvous of RPC that terminated with:\n\tstatus = StatusCode.UNAVAILABLE\n\tdetails = "
        '"failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:15002: Connection refused"')
    assert transient_service(gone) == SPARK
    restarted = SparkConnectGrpcException("[INVALID_HANDLE.SESSION_CHANGED] The handle 1b2c is invalid.")
    assert transient_service(restarted) == SPARK
    closed = SparkConnectException("[NO_ACTIVE_SESSION] No active Spark session found.")
    assert transient_service(closed) == SPARK


def test_a_postgres_restart_seen_by_psycopg2_is_transient() -> None:
    dropped = psycopg2.OperationalError("server closed the connection unexpectedly\n\tThis probably means ...")
    assert transient_service(dropped) == "PostgreSQL (upstream database)"


def test_a_jvm_error_passed_on_by_the_connect_server_names_the_service_behind_it() -> None:
    from pyspark.errors.exceptions.connect import SparkConnectGrpcException

    jdbc = SparkConnectGrpcException(
        "(org.postgresql.util.PSQLException) Connection to 127.0.0.1:54329 refused. Check that the hostname and port "
        "are correct and that the postmaster is accepting TCP/IP connections.")
    assert transient_service(jdbc) == "PostgreSQL (upstream database)"
