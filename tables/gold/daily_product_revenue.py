"""How many items of each product sold at each distinct revenue, per order date.

Small (a day's millions of items take a few thousand distinct product × revenue pairs) and free of category
membership, so the category report can join the *current* bridge and names at the end and restate every date
cheaply when they change (DESIGN.md §4); medians combine exactly from these counts."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Agreement, on_touched_dates, table


@table(
    keys=("order_date", "product_id", "revenue"),
    inputs={"fact_order_items": on_touched_dates("silver.fact_order_items")},
    agrees_with=Agreement("silver.fact_order_items", {"items": ("count(*)", "sum(item_count)"),
                                                      "revenue": ("sum(revenue)", "sum(revenue * item_count)")}),
)
def daily_product_revenue(fact_order_items: DataFrame) -> DataFrame:
    return fact_order_items.groupBy("order_date", "product_id", "revenue").agg(F.count("*").alias("item_count"))
