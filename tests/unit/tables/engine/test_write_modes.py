"""A sync's differences: one join finds new, changed and gone rows, and nothing for an unchanged table."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tables.engine.write_modes import DIFFERENCE, differences
from tables.registry import table

from ..frames import frame

SCHEMA = "product_id long, category_id long, note string"


def test_new_changed_and_gone_rows_are_found_in_one_join_and_equal_rows_are_not(spark: SparkSession) -> None:
    bridge = table("silver.product_x_category")  # keys (product_id, category_id)
    current = frame(spark, [(1, 1, "a"), (1, 2, None), (2, 1, "b"), (3, 1, "c")], SCHEMA)
    output = frame(spark, [(1, 1, "a"), (1, 2, "now set"), (2, 1, None), (4, 1, "new")], SCHEMA)
    found = differences(bridge, output, current)
    assert found.columns == [*output.columns, DIFFERENCE]
    assert sorted(tuple(row) for row in found.collect()) == [
        (1, 2, "now set", "changed"),  # a null that became a value
        (2, 1, None, "changed"),  # a value that became null
        (3, 1, None, "gone"),
        (4, 1, "new", "changed"),
    ]
    assert differences(bridge, current, current).count() == 0
