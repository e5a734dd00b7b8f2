"""One row per order item, with its order's date and `revenue = quantity × base_price`; merged by key.

The run's touched dates include the dates of the orders of every item it extracted (an item created after
midnight belongs to its order's date), so reading only those dates of fact_orders keeps the join flat as
history grows. An item whose order is unknown gets no order_date and fails the gate ("every item belongs to a
known order") rather than being published wrong."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Input, Scope, Touches, TrendRule, WriteMode, on_touched_dates, table


@table(
    keys=("order_item_id",),
    inputs={
        "orderitem": Input("bronze.orderitem", Scope.CHANGED),
        "fact_orders": on_touched_dates("silver.fact_orders"),
    },
    write_mode=WriteMode.MERGE,
    window_of="bronze.orderitem",
    touches=Touches(parent="silver.fact_orders", key="order_id"),
    partitioned_by=("order_date",),
    references={"order_id": "silver.fact_orders"},
    trend=TrendRule(date="order_date", metrics=("row_count", "sum(revenue)")),
)
def fact_order_items(orderitem: DataFrame, fact_orders: DataFrame) -> DataFrame:
    order_dates = fact_orders.select("order_id", "order_date")
    return orderitem.join(order_dates, "order_id", "left").select(
        "order_item_id",
        "order_id",
        "product_id",
        "seller_id",
        "quantity",
        "base_price",
        "tax",
        (F.col("quantity") * F.col("base_price")).cast("decimal(16,2)").alias("revenue"),
        "order_date",
        "created_ts",
    )
