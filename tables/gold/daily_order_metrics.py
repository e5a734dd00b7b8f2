"""Total and average revenue and order count per order date, recomputed for the dates a run touched."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Agreement, Input, Scope, table


@table(
    keys=("order_date",),
    inputs={"fact_orders": Input("silver.fact_orders", Scope.TOUCHED_DATES, "order_date")},
    agrees_with=Agreement("silver.fact_orders", {"orders": ("count(*)", "sum(order_count)"),
                                                 "revenue": ("sum(total_price)", "sum(total_revenue)")}),
)
def daily_order_metrics(fact_orders: DataFrame) -> DataFrame:
    return fact_orders.groupBy("order_date").agg(
        F.count("*").alias("order_count"),
        F.sum("total_price").alias("total_revenue"),
        F.avg("total_price").alias("average_revenue"),
    )
