"""One row per order, merged by order_id."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Input, Scope, Touches, TrendRule, WriteMode, table


@table(
    keys=("order_id",),
    inputs={"orders": Input("bronze.orders", Scope.CHANGED)},
    write_mode=WriteMode.MERGE,
    window_of="bronze.orders",
    touches=Touches(date_of="order_ts"),
    upstream_totals={"orders": "count(*)", "USD": "coalesce(sum(total_price), 0)"},
    partitioned_by=("days(order_ts)",),
    trend=TrendRule(date="order_date", metrics=("row_count", "sum(total_price)")),
)
def fact_orders(orders: DataFrame) -> DataFrame:
    return orders.select(
        "order_id",
        "buyer_id",
        "order_ts",
        F.to_date("order_ts").alias("order_date"),
        F.col("total_price").cast("decimal(14,2)").alias("total_price"),
        "created_ts",
    )
