"""silver.product_x_category."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tables.silver.product_x_category import product_x_category

from ..frames import TS, frame


def test_a_product_in_two_categories_has_a_row_for_each(spark: SparkSession) -> None:
    bronze = frame(spark, [(7, 1, TS, TS, "x"), (7, 2, TS, TS, "x")], "product_id long, category_id long, "
                   "created_ts timestamp, last_updated_ts timestamp, _ingested_by string")
    out = product_x_category(bronze)
    assert out.columns == ["product_id", "category_id", "created_ts", "last_updated_ts"]
    assert sorted((row.product_id, row.category_id) for row in out.collect()) == [(7, 1), (7, 2)]
