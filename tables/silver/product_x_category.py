"""Bridge: which categories a product belongs to (a product may be in several)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.spec import Input, Scope, table


@table(keys=("product_id", "category_id"), inputs={"productcategory": Input("bronze.productcategory", Scope.CHANGED)})
def product_x_category(productcategory: DataFrame) -> DataFrame:
    return productcategory.select("product_id", "category_id", "created_ts", "last_updated_ts")
