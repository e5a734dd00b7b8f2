"""Bridge: which sellers sell a product. Upstream has no timestamps, so every run extracts it whole."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.spec import Input, Scope, TableSpec, WriteMode


def seller_x_product(sellerproduct: DataFrame) -> DataFrame:
    return sellerproduct.select("seller_id", "product_id")


TABLE = TableSpec(
    name="seller_x_product",
    layer="silver",
    keys=("seller_id", "product_id"),
    transform=seller_x_product,
    inputs={"sellerproduct": Input("bronze.sellerproduct", Scope.CHANGED)},
    write_mode=WriteMode.REPLACE,
)
