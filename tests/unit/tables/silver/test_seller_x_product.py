"""silver.seller_x_product."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tables.silver.seller_x_product import seller_x_product

from ..frames import TS, frame


def test_seller_x_product_keeps_only_the_pairs(spark: SparkSession) -> None:
    bronze = frame(spark, [(3, 7, TS, TS), (3, 8, TS, TS)],
                   "seller_id long, product_id long, created_ts timestamp, last_updated_ts timestamp")
    out = seller_x_product(bronze)
    assert out.columns == ["seller_id", "product_id"]
    assert sorted(tuple(row) for row in out.collect()) == [(3, 7), (3, 8)]
