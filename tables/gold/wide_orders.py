"""One big table of orders: order ⨝ buyer (on buyer_id), with item count and item revenue."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Input, on_touched_dates, table


@table(
    keys=("order_id",),
    inputs={
        "fact_orders": on_touched_dates("silver.fact_orders"),
        "fact_order_items": on_touched_dates("silver.fact_order_items"),
        "dim_buyer": Input("silver.dim_buyer"),
    },
)
def wide_orders(fact_orders: DataFrame, fact_order_items: DataFrame, dim_buyer: DataFrame) -> DataFrame:
    item_totals = fact_order_items.groupBy("order_id").agg(
        F.count("*").alias("item_count"), F.sum("revenue").alias("items_revenue"))
    buyers = dim_buyer.select("buyer_id", F.col("username").alias("buyer_username"),
                              F.col("email").alias("buyer_email"))
    return (
        fact_orders.join(item_totals, "order_id", "left")
        .join(F.broadcast(buyers), "buyer_id", "left")
        .select(
            "order_id", "order_date", "order_ts", "buyer_id", "buyer_username", "buyer_email", "total_price",
            F.coalesce("item_count", F.lit(0)).alias("item_count"),
            F.coalesce("items_revenue", F.lit(0)).cast("decimal(24,2)").alias("items_revenue"),
        )
    )
