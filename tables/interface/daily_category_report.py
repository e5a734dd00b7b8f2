"""The category report for stakeholders: money rounded to cents (only here)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.interface.money import cents
from tables.spec import Input, Report, table


@table(
    keys=("order_date", "category_id"),
    inputs={"daily_category_metrics": Input("gold.daily_category_metrics")},
    report=Report("categories", ("order_date", "category_id", "category_name", "item_count", "average_revenue",
                                 "median_revenue")),
)
def daily_category_report(daily_category_metrics: DataFrame) -> DataFrame:
    return daily_category_metrics.select(
        "order_date",
        "category_id",
        "category_name",
        F.col("item_count").cast("bigint").alias("item_count"),
        cents("average_revenue"),
        cents("median_revenue"),
    )
