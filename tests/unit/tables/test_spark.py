"""Sessions on the Connect server: rows held for a session stay with it while another is the thread's active one."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tables.spark import held, own_session


def test_held_rows_stay_with_the_session_they_were_read_in(spark: SparkSession) -> None:
    with own_session("table-unit-test"):  # an audit's session is the thread's active one meanwhile
        rows = held(spark.range(3))
    assert rows.sparkSession is spark
    rows.createOrReplaceTempView("held_rows")
    assert spark.sql("SELECT count(*) FROM held_rows").first()[0] == 3  # type: ignore[index]
