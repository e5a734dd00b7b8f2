"""Bridge: which categories a product belongs to (a product may be in several)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.spec import Input, Scope, TableSpec, WriteMode


def product_x_category(productcategory: DataFrame) -> DataFrame:
    return productcategory.select("product_id", "category_id", "created_ts", "last_updated_ts")


TABLE = TableSpec(
    name="product_x_category",
    layer="silver",
    keys=("product_id", "category_id"),
    transform=product_x_category,
    write_mode=WriteMode.SYNC,
    inputs={"productcategory": Input("bronze.productcategory", Scope.CHANGED)},
)
