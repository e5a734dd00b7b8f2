"""Bridge: which sellers sell a product (read whole every run, like every reference table)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.spec import Input, Scope, table


@table(keys=("seller_id", "product_id"), inputs={"sellerproduct": Input("bronze.sellerproduct", Scope.CHANGED)})
def seller_x_product(sellerproduct: DataFrame) -> DataFrame:
    return sellerproduct.select("seller_id", "product_id")
