"""Tiny in-memory inputs for transform tests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

from pyspark.sql import DataFrame, Row, SparkSession

NOV1, NOV2 = date(2026, 11, 1), date(2026, 11, 2)
TS = datetime(2026, 11, 1, 10, 0)
ITEM_COLUMNS = "order_item_id long, order_id long, product_id long, seller_id long, quantity int, " \
               "base_price decimal(12,2), tax decimal(12,2), created_ts timestamp"
__all__ = ["D", "ITEM_COLUMNS", "NOV1", "NOV2", "TS", "category_inputs", "first_row", "frame"]


def frame(spark: SparkSession, rows: list[tuple], schema: str) -> DataFrame:
    return spark.createDataFrame(rows, schema)


def first_row(frame: DataFrame) -> Row:
    row = frame.first()
    assert row is not None, "the frame has no row"
    return row


def category_inputs(spark: SparkSession) -> tuple[DataFrame, DataFrame, DataFrame]:
    # Order 100 (Nov 1) has three items; product 7 is in categories 1 and 2; category 3 sells nothing.
    items = frame(spark, [
        (1, 100, 7, D("7.50"), NOV1), (2, 100, 8, D("2.00"), NOV1), (3, 100, 8, D("4.00"), NOV1),
        (4, 101, 8, D("9.00"), NOV1), (5, 102, 7, D("1.00"), NOV2),
    ], "order_item_id long, order_id long, product_id long, revenue decimal(16,2), order_date date")
    bridge = frame(spark, [(7, 1), (7, 2), (8, 2)], "product_id long, category_id long")
    categories = frame(spark, [(1, "Lamps"), (2, "Home"), (3, "Garden")], "category_id long, category_name string")
    return items, bridge, categories
