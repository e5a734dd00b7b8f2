"""gold.daily_order_metrics."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pyspark.sql import SparkSession

from tables.gold.daily_order_metrics import daily_order_metrics

D = Decimal


def test_daily_order_metrics_sums_and_averages_per_order_date(spark: SparkSession) -> None:
    facts = spark.createDataFrame(
        [(1, date(2026, 11, 1), D("10.00")), (2, date(2026, 11, 1), D("20.01")), (3, date(2026, 11, 2), D("5.00"))],
        "order_id long, order_date date, total_price decimal(14,2)",
    )
    rows = {r.order_date: r for r in daily_order_metrics(facts).collect()}
    assert rows[date(2026, 11, 1)].order_count == 2
    assert rows[date(2026, 11, 1)].total_revenue == D("30.01")
    assert rows[date(2026, 11, 1)].average_revenue == D("15.005")
    assert rows[date(2026, 11, 2)].total_revenue == D("5.00")
