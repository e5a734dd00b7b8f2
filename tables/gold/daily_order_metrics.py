"""Total and average revenue and order count per order date, recomputed for the dates a run touched."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Agreement, on_touched_dates, table


@table(
    keys=("order_date",),
    inputs={"fact_orders": on_touched_dates("silver.fact_orders")},
    agrees_with=Agreement("silver.fact_orders", {"orders": ("count(*)", "sum(order_count)"),
                                                 "revenue": ("sum(total_price)", "sum(total_revenue)")}),
)
def daily_order_metrics(fact_orders: DataFrame) -> DataFrame:
    return fact_orders.groupBy("order_date").agg(
        F.count("*").alias("order_count"),
        F.sum("total_price").alias("total_revenue"),
        F.avg("total_price").alias("average_revenue"),
    )
