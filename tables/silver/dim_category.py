"""Product categories (type-1)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Input, Scope, TableSpec, WriteMode


def dim_category(category: DataFrame) -> DataFrame:
    return category.select("category_id", F.col("name").alias("category_name"), "created_ts", "last_updated_ts")


TABLE = TableSpec(
    name="dim_category",
    layer="silver",
    keys=("category_id",),
    transform=dim_category,
    write_mode=WriteMode.SYNC,
    inputs={"category": Input("bronze.category", Scope.CHANGED)},
)
