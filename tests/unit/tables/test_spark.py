"""Sessions on the Connect server: rows held for a session stay with it while another is the thread's active one;
opening a session leaves nothing that calls the server when the process exits."""

from __future__ import annotations

import atexit
import uuid

from pyspark.sql import SparkSession

from infra.settings import settings
from tables.spark import _connect, held, own_session


def test_held_rows_stay_with_the_session_they_were_read_in(spark: SparkSession) -> None:
    with own_session("table-unit-test"):  # an audit's session is the thread's active one meanwhile
        rows = held(spark.range(3))
    assert rows.sparkSession is spark
    rows.createOrReplaceTempView("held_rows")
    assert spark.sql("SELECT count(*) FROM held_rows").first()[0] == 3  # type: ignore[index]


def test_a_session_registers_no_exit_hook_that_calls_the_server() -> None:
    """PySpark's own hook (clear the session's ML cache) retries a server that is gone for about 7 s a session: a run
    that lost its server, with a session per retried task, took over 10 minutes to exit."""
    hooks = atexit._ncallbacks()
    _connect(settings(), str(uuid.uuid4()))
    assert atexit._ncallbacks() == hooks
