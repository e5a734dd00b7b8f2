"""Declared agreements find the dates on which a table's figures differ from the table they come from."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tables.quality.reconcile import disagreements
from tables.registry import table

from ..frames import NOV1, NOV2, D, frame


def test_a_date_whose_revenue_differs_or_is_missing_is_named(spark: SparkSession) -> None:
    agreement = table("gold.daily_order_metrics").agrees_with
    assert agreement is not None and agreement.table == "silver.fact_orders"
    theirs = frame(spark, [(NOV1, 2, D("30.00")), (NOV2, 1, D("5.00"))],
                   "order_date date, orders_theirs long, revenue_theirs decimal(18,2)")
    ours = frame(spark, [(NOV1, 2, D("30.01"))], "order_date date, orders_ours long, revenue_ours decimal(18,2)")
    assert disagreements("gold.daily_order_metrics", agreement, theirs, ours) == [
        "gold.daily_order_metrics on 2026-11-01: orders 2 (in silver.fact_orders: 2), "
        "revenue 30.01 (in silver.fact_orders: 30.00)",
        "gold.daily_order_metrics on 2026-11-02: orders None (in silver.fact_orders: 1), "
        "revenue None (in silver.fact_orders: 5.00)",
    ]
    assert disagreements("gold.daily_order_metrics", agreement, theirs, theirs.toDF(
        "order_date", "orders_ours", "revenue_ours")) == []
