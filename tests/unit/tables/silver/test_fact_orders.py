"""silver.fact_orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pyspark.sql import SparkSession

from tables.silver.fact_orders import fact_orders

from ..frames import first_row

D = Decimal


def test_fact_orders_adds_the_utc_order_date(spark: SparkSession) -> None:
    orders = spark.createDataFrame(
        [(1, 10, datetime(2026, 11, 1, 23, 59, 59), D("10.50"), datetime(2026, 11, 1, 23, 59, 59), date(2026, 11, 1))],
        "order_id long, buyer_id long, order_ts timestamp, total_price decimal(14,2), created_ts timestamp,"
        " _run_date date",
    )
    row = first_row(fact_orders(orders))
    assert row.order_date == date(2026, 11, 1)
    assert row.total_price == D("10.50")
    assert "_run_date" not in fact_orders(orders).columns
