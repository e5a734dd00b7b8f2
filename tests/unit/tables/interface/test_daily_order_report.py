"""interface.daily_order_report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pyspark.sql import SparkSession

from tables.interface.daily_order_report import daily_order_report

from ..frames import first_row

D = Decimal


def test_daily_order_report_rounds_half_up_to_cents_only_here(spark: SparkSession) -> None:
    metrics = spark.createDataFrame(
        [(date(2026, 11, 1), 2, D("30.01"), D("15.005000"))],
        "order_date date, order_count long, total_revenue decimal(24,2), average_revenue decimal(18,6)",
    )
    row = first_row(daily_order_report(metrics))
    assert row.asDict() == {"order_date": date(2026, 11, 1), "order_count": 2, "total_revenue": D("30.01"),
                            "average_revenue": D("15.01")}
