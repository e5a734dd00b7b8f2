"""Product categories (type-1)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Input, Scope, table


@table(keys=("category_id",), inputs={"category": Input("bronze.category", Scope.CHANGED)})
def dim_category(category: DataFrame) -> DataFrame:
    return category.select("category_id", F.col("name").alias("category_name"), "created_ts", "last_updated_ts")
