"""Partition expressions and the creatable column order."""

from __future__ import annotations

from tables.engine.dates import partition_source
from tables.engine.table_state import creatable_column_order


def test_partition_on_the_first_column_is_moved_last() -> None:
    assert partition_source("days(order_ts)") == "order_ts"
    assert creatable_column_order(["order_date", "n"], ("order_date",)) == ["n", "order_date"]
    assert creatable_column_order(["id", "order_ts"], ("days(order_ts)",)) == ["id", "order_ts"]
