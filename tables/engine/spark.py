"""Spark for the pipeline: one long-lived Spark Connect server (a service of the stack) and thin clients of it.

The server holds the JVM, the jars and the S3 keys; a run, a backfill, upkeep, a scan or a test opens one session
on it (no JVM in the client), with the lake's catalog as a session setting. A run's session id is derived from its
Prefect flow run id (`run_session_id`) and recorded with the writer lock, so the next writer can stop every
operation of a run that was killed before it touches the lake (`fence_session`)."""

from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, cast

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.connect.client.retries import DefaultPolicy
from pyspark.sql.connect.session import SparkSession as RemoteSession

from infra.errors import StackError
from infra.settings import Settings, settings

# PySpark's functions (`F.lit`, …) build Connect expressions only in Connect mode, which a remote builder turns on
# when it first runs; a transform may build columns before any session exists.
os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
CATALOG = "lake"
USER_ID = "rainforest"
# A closed session's id cannot be opened again: the server idled it out (`defaultSessionTimeout`) or it was fenced.
CLOSED = "SESSION_CLOSED"
_lock = threading.Lock()
_session: SparkSession | None = None
_session_id: str | None = None
_idle: list[SparkSession] = []  # sessions of `own_session` free for the next caller
# Every session this process opened, kept referenced for the life of the process: PySpark's finalizer of a Connect
# session closes a pool all sessions share, and run by the garbage collector inside another gRPC call it deadlocks.
_kept: list[SparkSession] = []
_tagged = threading.local()
session_start_seconds: float | None = None  # how long this process's session took to open (benchmarks)


def qualified(table: str) -> str:
    return f"{CATALOG}.{table}"


def on_branch(table: str, branch: str) -> str:
    return f"{CATALOG}.{table}.branch_{branch}"


def catalog_conf(cfg: Settings) -> dict[str, str]:
    """Iceberg REST catalog `lake` with SigV4 auth and S3FileIO, as SeaweedFS's own Spark suite connects. The
    keys are not here: the AWS SDK takes them from the server JVM's environment (`Settings.s3_environment`), so
    every session of a server works with the one store that server was started for."""
    prefix = f"spark.sql.catalog.{CATALOG}"
    return {
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.type": "rest",
        f"{prefix}.uri": cfg.catalog_uri,
        f"{prefix}.warehouse": cfg.warehouse,
        f"{prefix}.rest.auth.type": "sigv4",
        f"{prefix}.rest.signing-name": "s3",
        f"{prefix}.rest.signing-region": cfg.s3_region,
        f"{prefix}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        f"{prefix}.s3.endpoint": cfg.s3_endpoint,
        f"{prefix}.s3.path-style-access": "true",
        f"{prefix}.client.region": cfg.s3_region,
        # Branches and mains also move through pyiceberg (tables.engine.lake): always read the catalog's current state.
        f"{prefix}.cache-enabled": "false",
    }


def session_conf(cfg: Settings) -> dict[str, str]:
    """A client session's own settings (they do not change the server's defaults), the lake's catalog among them:
    tests and benchmarks use their own warehouse on the same server."""
    return {
        **catalog_conf(cfg),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024 * 1024),
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
    }


def remote(cfg: Settings, session_id: str) -> str:
    """The Connect URL of a session. The host is `localhost`: with a token the client speaks plain gRPC only to
    `localhost` (the local server has no TLS); to any other name it tries TLS."""
    if not cfg.spark_connect_token:
        raise StackError("RAINFOREST_SPARK_CONNECT_TOKEN is empty; `rainforest stack up` generates it into .env")
    return (f"sc://{cfg.spark_connect_host}:{cfg.spark_connect_port}/;token={cfg.spark_connect_token};"
            f"session_id={session_id};user_id={USER_ID}")


def _connect(cfg: Settings, session_id: str) -> SparkSession:
    spark = cast(SparkSession, RemoteSession(connection=remote(cfg, session_id)))  # not the shared builder's
    client = cast(Any, spark).client
    # The client's own retries of an unreachable server last 10 minutes by default; a few seconds here, then the
    # pipeline's task retries (flows.daily) and one sentence naming the server.
    client.set_retry_policies([DefaultPolicy(max_retries=4, max_backoff=2000)])
    # PySpark asks the server at the process's exit, once per session and with those retries, to clear an ML cache
    # this pipeline never fills: with the server gone that is about 7 s a session, and a run that lost its server
    # opens a session per retried task (minutes of exit; 3 sessions took 22 s).
    atexit.unregister(client._cleanup_ml_cache)
    _kept.append(spark)
    return spark


def _close_clients() -> None:
    """At the process's exit, before the interpreter's finalizers run, release this process's sessions on the
    server, then close their clients. Released, a session's held rows (`held`) leave the server's memory at once;
    left to the idle timeout (`spark.connect.session.manager.defaultSessionTimeout`), they stayed for 30 minutes
    (1.6 GB after a 59-day load). One attempt each: a server that is gone has dropped its sessions already.
    Closed, a client's finalizers send nothing: a DataFrame still referenced at exit (by a failed run's traceback,
    say) would ask the server from its finalizer to drop it, and that gRPC call starts a thread, which never
    starts while Python shuts down: the process hung for ever."""
    for spark in _kept:
        client = cast(Any, spark).client
        client.set_retry_policies([DefaultPolicy(max_retries=0)])
        with suppress(Exception):  # the server is gone, and the session with it
            client.release_session()
        client.close()


atexit.register(_close_clients)  # at import: the handlers PySpark adds as a session opens run before it (LIFO)


def _active() -> SparkSession | None:
    return getattr(RemoteSession._active_session, "session", None)


def _make_active(spark: SparkSession | None) -> None:
    """PySpark attaches a DataFrame the server holds (`localCheckpoint`) to the thread's active session, else
    the process's default one: with several sessions in a process, the one a thread works with is made active."""
    RemoteSession._active_session.session = spark


def held(frame: DataFrame) -> DataFrame:
    """`frame.localCheckpoint()`, attached to the frame's own session: PySpark attaches the held rows to the
    thread's active session, which is another one when a caller holds a session across runs (a test)."""
    previous = _active()
    _make_active(frame.sparkSession)
    try:
        return frame.localCheckpoint()
    finally:
        _make_active(previous)


def any_of(conditions: list[Column]) -> Column:
    """The OR of the conditions, nested as a balanced tree. A Connect plan nests every OR in the one before, and
    the server refuses a plan nested more than 100 levels deep (a left-deep OR of 31 dates was)."""
    if not conditions:
        return F.lit(False)
    while len(conditions) > 1:
        conditions = [conditions[i] | conditions[i + 1] if i + 1 < len(conditions) else conditions[i]
                      for i in range(0, len(conditions), 2)]
    return conditions[0]


def run_session_id(flow_run_id: str, attempt: int) -> str:
    """The session id of one attempt of a flow run: found again from the run id, and new for a retried attempt
    (the writer lock then fences the dead attempt's session, not its own)."""
    return str(uuid.uuid5(uuid.UUID(flow_run_id), f"attempt {attempt}"))


def session_id() -> str:
    """This process's session id on the server (opened on first use)."""
    get_spark()
    assert _session_id is not None
    return _session_id


def get_spark() -> SparkSession:
    """This process's session on the Connect server, opened on first use; every thread's operations carry the
    process's run tag."""
    global _session, _session_id, session_start_seconds
    with _lock:
        if _session is None:
            cfg = settings()
            started = time.monotonic()
            _session_id = _session_id or str(uuid.uuid4())
            spark = _connect(cfg, _session_id)
            for key, value in session_conf(cfg).items():
                spark.conf.set(key, value)
            session_start_seconds = time.monotonic() - started
            _session = spark
            RemoteSession._default_session = cast(RemoteSession, spark)
        spark, tag = _session, f"rainforest-{_session_id}"
    _make_active(spark)
    if getattr(_tagged, "session", None) is not spark:  # a thread's tags belong to one client of the session
        spark.addTag(tag)
        _tagged.session = spark
    return spark


def live_session(wanted_id: str | None = None) -> SparkSession:
    """This process's session, opened again if the server restarted since it was opened (a long-lived process:
    the test suite, a notebook); a server that does not answer raises. With `wanted_id` (a run's session), the
    process's session becomes that one: a process that runs several flow runs (the test suite, the bench) opens
    one session per run. The last run's session stays open for what still holds it; the server releases it once
    idle (`defaultSessionTimeout`)."""
    from infra.errors import SPARK, transient_service

    global _session, _session_id
    if wanted_id is not None and wanted_id != _session_id:
        with _lock:
            _session, _session_id = None, wanted_id
    try:
        get_spark().conf.get("spark.master")
    except Exception as error:
        if CLOSED in str(error) and wanted_id is None:
            forget_session(new_id=True)
        elif transient_service(error) == SPARK:
            forget_session()
        else:
            raise
    return get_spark()


def table_tag(identifier: str) -> str:
    return f"table-{identifier}"


@contextmanager
def tagged(spark: SparkSession, tag: str) -> Iterator[SparkSession]:
    """The operations this thread starts meanwhile also carry `tag` (the bench counts Spark jobs per table)."""
    spark.addTag(tag)
    try:
        yield spark
    finally:
        spark.removeTag(tag)


@contextmanager
def own_session(tag: str) -> Iterator[SparkSession]:
    """A session of its own on the server, with the run's settings and tags: its temp views are its own, so scans
    that register views named after tables run side by side. Sessions are reused by later callers, not closed."""
    with _lock:
        spark = _idle.pop() if _idle else None
    if spark is None:
        cfg = settings()
        spark = _connect(cfg, str(uuid.uuid4()))
        for key, value in session_conf(cfg).items():
            spark.conf.set(key, value)
    run_tag, previous = f"rainforest-{session_id()}", _active()
    try:
        _make_active(spark)
        with tagged(spark, run_tag), tagged(spark, tag):
            yield spark
    finally:
        _make_active(previous)
        with _lock:
            _idle.append(spark)


def forget_session(new_id: bool = False) -> None:
    """Drop this process's sessions (the server stopped: its sessions are gone); the next `get_spark` opens its
    session again, under the same id (a run's stays its own) unless `new_id`."""
    global _session, _session_id
    with _lock:
        _session = None
        if new_id:
            _session_id = None
        _idle.clear()


def fence_session(dead_session_id: str) -> list[str]:
    """Stop every operation of a session whose client died (a killed run) and close that session: the server
    interrupts them before it answers, so none of them changes a table afterwards (`test_spark_connect.py`).
    Returns the ids of the operations that were still running."""
    spark = _connect(settings(), dead_session_id)
    try:
        return spark.interruptAll()
    finally:
        spark.stop()  # releases the session on the server
