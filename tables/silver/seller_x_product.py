"""Bridge: which sellers sell a product (read whole every run, like every reference table)."""

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
    write_mode=WriteMode.SYNC,
    inputs={"sellerproduct": Input("bronze.sellerproduct", Scope.CHANGED)},
)
