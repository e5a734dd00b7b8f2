"""The category report for stakeholders: money rounded to cents (only here)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.interface.money import cents
from tables.spec import Input, TableSpec, WriteMode


def daily_category_report(daily_category_metrics: DataFrame) -> DataFrame:
    return daily_category_metrics.select(
        "order_date",
        "category_id",
        "category_name",
        F.col("item_count").cast("bigint").alias("item_count"),
        cents("average_revenue"),
        cents("median_revenue"),
    )


TABLE = TableSpec(
    name="daily_category_report",
    layer="interface",
    keys=("order_date", "category_id"),
    transform=daily_category_report,
    inputs={"daily_category_metrics": Input("gold.daily_category_metrics")},
    write_mode=WriteMode.REPLACE,
)
