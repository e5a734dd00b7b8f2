"""Average and exact median item revenue, and item count, per order date and category.

A product in several categories counts once in each. Membership and names are the current ones for every
date: when the bridge or a category changes, the run recomputes every date (from the small per-product revenue
counts). The median is exact and in decimals, like Postgres `percentile_cont(0.5)`: the middle value, or the
mean of the two middle values for an even count.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from tables.spec import Input, on_touched_dates, table

GROUP = ("order_date", "category_id")


def stats_from_counts(counts: DataFrame, group: tuple[str, ...], value: str, count: str) -> DataFrame:
    """Count, mean and exact median of `value` per group, from how many times each value occurs.

    Only the distinct values are sorted, and a cumulative walk finds the middle position(s). Mean and median
    have the type Spark's `avg` gives `value`, rounded half up.
    """
    mean_type = counts.select(F.avg(value)).schema[0].dataType
    counts = counts.groupBy(*group, value).agg(F.sum(count).alias("_count"))
    through_here = Window.partitionBy(*group).orderBy(value).rowsBetween(Window.unboundedPreceding, 0)
    walked = (counts.withColumn("_through", F.sum("_count").over(through_here))
              .withColumn("_n", F.sum("_count").over(Window.partitionBy(*group))))
    lower_middle, upper_middle = F.floor((F.col("_n") + 1) / 2), F.ceil((F.col("_n") + 1) / 2)
    return walked.groupBy(*group).agg(
        F.sum("_count").alias("item_count"),
        (F.sum(F.col(value) * F.col("_count")) / F.sum("_count")).cast(mean_type).alias("average_revenue"),
        ((F.min(F.when(F.col("_through") >= lower_middle, F.col(value)))
          + F.min(F.when(F.col("_through") >= upper_middle, F.col(value)))) / 2).cast(mean_type)
        .alias("median_revenue"),
    )


@table(
    keys=GROUP,
    inputs={
        "daily_product_revenue": on_touched_dates("gold.daily_product_revenue"),
        "product_x_category": Input("silver.product_x_category"),
        "dim_category": Input("silver.dim_category"),
    },
    restated_by=("silver.product_x_category", "silver.dim_category"),
)
def daily_category_metrics(daily_product_revenue: DataFrame, product_x_category: DataFrame,
                           dim_category: DataFrame) -> DataFrame:
    counts = daily_product_revenue.join(
        F.broadcast(product_x_category.select("product_id", "category_id")), "product_id")
    return (
        stats_from_counts(counts, GROUP, "revenue", "item_count")
        .join(F.broadcast(dim_category.select("category_id", "category_name")), "category_id", "left")
        .select("order_date", "category_id", "category_name", "item_count", "average_revenue", "median_revenue")
    )
