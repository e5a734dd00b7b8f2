"""silver.dim_product."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tables.silver.dim_product import dim_product

from ..frames import TS, D, frame


def test_dim_product_has_brand_manufacturer_and_rating_stats(spark: SparkSession) -> None:
    products = frame(spark, [(7, "Lamp", "d", D("5.00"), 1, 2, TS, TS), (8, "Desk", "d", D("9.00"), 1, 2, TS, TS)],
                     "product_id long, name string, description string, price decimal(12,2), brand_id long, "
                     "manufacturer_id long, created_ts timestamp, last_updated_ts timestamp")
    brands = frame(spark, [(1, "Acme", "US")], "brand_id long, name string, country string")
    makers = frame(spark, [(2, "Works", "OEM")], "manufacturer_id long, name string, type string")
    ratings = frame(spark, [(1, 7, D("4.0")), (2, 7, D("5.0")), (3, 7, D("3.5"))],
                    "ratings_id long, product_id long, rating decimal(3,1)")
    rows = {r.product_id: r for r in dim_product(products, brands, makers, ratings).collect()}
    assert (rows[7].brand_name, rows[7].manufacturer_name) == ("Acme", "Works")
    assert (rows[7].rating_average, rows[7].rating_count) == (D("4.17"), 3)
    assert (rows[8].rating_average, rows[8].rating_count) == (None, 0)
