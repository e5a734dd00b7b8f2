"""interface.daily_category_report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pyspark.sql import SparkSession

from tables.interface.daily_category_report import daily_category_report
from tables.registry import table

from ..frames import first_row

D = Decimal


def test_daily_category_report_has_the_report_columns_and_rounds_half_up_to_cents(spark: SparkSession) -> None:
    metrics = spark.createDataFrame(
        [(date(2026, 11, 1), 2, "Home", 3, D("5.625000"), D("0.005000"))],
        "order_date date, category_id long, category_name string, item_count long, average_revenue decimal(18,6), "
        "median_revenue decimal(18,6)",
    )
    report = daily_category_report(metrics)
    spec = table("interface.daily_category_report")
    assert spec.report is not None and tuple(report.columns) == spec.report.columns
    assert first_row(report).asDict() == {"order_date": date(2026, 11, 1), "category_id": 2, "category_name": "Home",
                                          "item_count": 3, "average_revenue": D("5.63"), "median_revenue": D("0.01")}
