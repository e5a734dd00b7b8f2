"""silver.fact_order_items."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tables.silver.fact_order_items import fact_order_items

from ..frames import ITEM_COLUMNS, NOV2, TS, D, frame


def test_fact_order_items_takes_the_order_date_and_computes_revenue(spark: SparkSession) -> None:
    items = frame(spark, [(1, 100, 7, 3, 3, D("2.50"), D("0.60"), TS), (2, 100, 8, 3, 1, D("9.99"), D("0.80"), TS),
                          (3, 999, 7, 3, 1, D("1.00"), D("0.08"), TS)], ITEM_COLUMNS)
    orders = frame(spark, [(100, NOV2)], "order_id long, order_date date")
    rows = {r.order_item_id: r for r in fact_order_items(items, orders).collect()}
    assert rows[1].revenue == D("7.50") and rows[1].order_date == NOV2
    assert rows[2].revenue == D("9.99")
    assert rows[3].order_date is None  # unknown order: kept, so the referential check can fail loudly
