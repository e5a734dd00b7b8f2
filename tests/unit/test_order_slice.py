"""The order slice's transforms on tiny hand-made DataFrames."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pyspark.sql import SparkSession

from tables.gold.daily_order_metrics import daily_order_metrics
from tables.interface.daily_order_report import daily_order_report
from tables.silver.fact_orders import fact_orders

D = Decimal


def test_fact_orders_adds_the_utc_order_date(spark: SparkSession) -> None:
    orders = spark.createDataFrame(
        [(1, 10, datetime(2026, 11, 1, 23, 59, 59), D("10.50"), datetime(2026, 11, 1, 23, 59, 59), date(2026, 11, 1))],
        "order_id long, buyer_id long, order_ts timestamp, total_price decimal(14,2), created_ts timestamp,"
        " _run_date date",
    )
    row = fact_orders(orders).first()
    assert row.order_date == date(2026, 11, 1)
    assert row.total_price == D("10.50")
    assert "_run_date" not in fact_orders(orders).columns


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


def test_daily_order_report_rounds_half_up_to_cents_only_here(spark: SparkSession) -> None:
    metrics = spark.createDataFrame(
        [(date(2026, 11, 1), 2, D("30.01"), D("15.005000"))],
        "order_date date, order_count long, total_revenue decimal(24,2), average_revenue decimal(18,6)",
    )
    row = daily_order_report(metrics).first()
    assert row.asDict() == {"order_date": date(2026, 11, 1), "order_count": 2, "total_revenue": D("30.01"),
                            "average_revenue": D("15.01")}
