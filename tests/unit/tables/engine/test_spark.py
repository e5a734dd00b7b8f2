"""Sessions on the Connect server: rows held for a session stay with it while another is the thread's active one;
opening a session or holding rows leaves nothing that calls the server when the process exits."""

from __future__ import annotations

import subprocess
import sys

from pyspark.sql import SparkSession

from tables.engine.spark import held, own_session

EXIT_PROBE = """
from pyspark.sql.connect.client.core import SparkConnectClient
SparkConnectClient._cleanup_ml_cache = lambda client: print("an exit hook called the server")
import uuid
from infra.settings import settings
from tables.engine.spark import _connect
_connect(settings(), str(uuid.uuid4()))
print("session opened")
"""
HELD_AT_EXIT = """
from tables.engine.spark import get_spark, held
rows = held(get_spark().range(3))  # still referenced when the interpreter shuts down
print(rows.count())
"""


def test_held_rows_stay_with_the_session_they_were_read_in(spark: SparkSession) -> None:
    with own_session("table-unit-test"):  # an audit's session is the thread's active one meanwhile
        rows = held(spark.range(3))
    assert rows.sparkSession is spark
    rows.createOrReplaceTempView("held_rows")
    assert spark.sql("SELECT count(*) FROM held_rows").first()[0] == 3  # type: ignore[index]


def test_a_session_registers_no_exit_hook_that_calls_the_server() -> None:
    """PySpark's own hook (clear the session's ML cache) retries a server that is gone for about 7 s a session: a run
    that lost its server, with a session per retried task, spends minutes exiting."""
    opened = subprocess.run([sys.executable, "-c", EXIT_PROBE], capture_output=True, text=True, timeout=120,
                            check=True)
    assert opened.stdout.split("\n") == ["session opened", ""], opened.stdout


def test_a_process_that_still_holds_rows_exits() -> None:
    """A failed audit's traceback keeps its held rows to the end: their finalizer's call to the server hung the
    process for ever at exit (a blocked day's `rainforest run` never returned)."""
    exited = subprocess.run([sys.executable, "-c", HELD_AT_EXIT], capture_output=True, text=True, timeout=120,
                            check=True)
    assert exited.stdout == "3\n", exited.stdout
