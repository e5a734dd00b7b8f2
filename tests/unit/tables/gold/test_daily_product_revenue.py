"""gold.daily_product_revenue."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tables.gold.daily_product_revenue import daily_product_revenue

from ..frames import NOV1, NOV2, D, frame


def test_items_are_counted_per_date_product_and_distinct_revenue(spark: SparkSession) -> None:
    items = frame(spark, [(1, 100, 7, D("2.50"), NOV1), (2, 100, 7, D("2.50"), NOV1), (3, 101, 7, D("5.00"), NOV1),
                          (4, 102, 7, D("2.50"), NOV2), (5, 102, 8, D("2.50"), NOV2)],
                  "order_item_id long, order_id long, product_id long, revenue decimal(16,2), order_date date")
    counts = {(r.order_date, r.product_id, r.revenue): r.item_count for r in daily_product_revenue(items).collect()}
    assert counts == {(NOV1, 7, D("2.50")): 2, (NOV1, 7, D("5.00")): 1, (NOV2, 7, D("2.50")): 1,
                      (NOV2, 8, D("2.50")): 1}
