"""The order report for stakeholders: money rounded to cents (only here), stakeholder column names."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.interface.money import cents
from tables.spec import Input, Report, table


@table(
    keys=("order_date",),
    inputs={"daily_order_metrics": Input("gold.daily_order_metrics")},
    report=Report("orders", ("order_date", "order_count", "total_revenue", "average_revenue")),
)
def daily_order_report(daily_order_metrics: DataFrame) -> DataFrame:
    return daily_order_metrics.select(
        "order_date",
        F.col("order_count").cast("bigint").alias("order_count"),
        cents("total_revenue"),
        cents("average_revenue"),
    )
