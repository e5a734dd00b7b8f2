"""Partition expressions, the creatable column order, and rows on a set of dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pyspark.sql import SparkSession

from tables.engine.dates import day_spans, on_dates_condition, on_dates_sql, partition_source
from tables.engine.table_state import creatable_column_order

NOV1 = date(2026, 11, 1)


def test_partition_on_the_first_column_is_moved_last() -> None:
    assert partition_source("days(order_ts)") == "order_ts"
    assert creatable_column_order(["order_date", "n"], ("order_date",)) == ["n", "order_date"]
    assert creatable_column_order(["id", "order_ts"], ("days(order_ts)",)) == ["id", "order_ts"]


def test_consecutive_dates_are_one_span() -> None:
    days = [NOV1 + timedelta(days=offset) for offset in (4, 0, 1, 2, 1)]
    assert day_spans(days) == [(NOV1, date(2026, 11, 4)), (date(2026, 11, 5), date(2026, 11, 6))]
    assert on_dates_sql("t.order_ts", False, days) == ("(t.order_ts >= '2026-11-01' AND t.order_ts < '2026-11-04') OR "
                                                        "(t.order_ts >= '2026-11-05' AND t.order_ts < '2026-11-06')")


def test_rows_on_many_scattered_dates_are_selected_exactly(spark: SparkSession) -> None:
    """Every other day for a year: 183 spans in one condition, which a left-deep OR sent over Connect too deep
    for the server to read."""
    every_day = [NOV1 + timedelta(days=offset) for offset in range(366)]
    rows = spark.createDataFrame([(n, datetime.combine(day, datetime.min.time()) + timedelta(hours=23))
                                  for n, day in enumerate(every_day)], "id long, order_ts timestamp")
    wanted = every_day[::2]
    picked = rows.where(on_dates_condition(rows, "order_ts", wanted)).select("id").collect()
    assert sorted(row.id for row in picked) == list(range(0, 366, 2))
