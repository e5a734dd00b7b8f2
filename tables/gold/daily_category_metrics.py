"""Average and exact median item revenue, and item count, per order date and category.

A product in several categories counts once in each. The median is exact and in decimals, like Postgres
`percentile_cont(0.5)`: the middle value, or the mean of the two middle values for an even count.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from tables.spec import Input, Scope, TableSpec, WriteMode

GROUP = ("order_date", "category_id")


def exact_median(items: DataFrame, group: tuple[str, ...], value: str) -> DataFrame:
    ordered = Window.partitionBy(*group).orderBy(value)
    whole = Window.partitionBy(*group)
    ranked = items.withColumn("_rank", F.row_number().over(ordered)).withColumn("_n", F.count("*").over(whole))
    middle = ranked.where((F.col("_rank") == F.floor((F.col("_n") + 1) / 2))
                          | (F.col("_rank") == F.ceil((F.col("_n") + 1) / 2)))
    return middle.groupBy(*group).agg(F.avg(value).alias("median_revenue"))


def daily_category_metrics(fact_order_items: DataFrame, product_x_category: DataFrame,
                           dim_category: DataFrame) -> DataFrame:
    items = fact_order_items.select("order_date", "product_id", "revenue").join(
        F.broadcast(product_x_category.select("product_id", "category_id")), "product_id")
    stats = items.groupBy(*GROUP).agg(F.count("*").alias("item_count"), F.avg("revenue").alias("average_revenue"))
    return (
        stats.join(exact_median(items, GROUP, "revenue"), list(GROUP))
        .join(F.broadcast(dim_category.select("category_id", "category_name")), "category_id", "left")
        .select("order_date", "category_id", "category_name", "item_count", "average_revenue", "median_revenue")
    )


TABLE = TableSpec(
    name="daily_category_metrics",
    layer="gold",
    keys=GROUP,
    transform=daily_category_metrics,
    inputs={
        "fact_order_items": Input("silver.fact_order_items", Scope.TOUCHED_DATES, "order_date"),
        "product_x_category": Input("silver.product_x_category"),
        "dim_category": Input("silver.dim_category"),
    },
    write_mode=WriteMode.OVERWRITE_PARTITIONS,
    partitioned_by=("order_date",),
)
