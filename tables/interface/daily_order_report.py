"""The order report for stakeholders: money rounded to cents (only here), stakeholder column names."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.interface.money import cents
from tables.spec import Input, TableSpec, WriteMode


def daily_order_report(daily_order_metrics: DataFrame) -> DataFrame:
    return daily_order_metrics.select(
        "order_date",
        F.col("order_count").cast("bigint").alias("order_count"),
        cents("total_revenue"),
        cents("average_revenue"),
    )


TABLE = TableSpec(
    name="daily_order_report",
    layer="interface",
    keys=("order_date",),
    transform=daily_order_report,
    inputs={"daily_order_metrics": Input("gold.daily_order_metrics")},
    write_mode=WriteMode.REPLACE,
)
