"""Declarations: inputs, names and layers inferred, layer defaults."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tables.registry import all_tables, check_replaced_windows, table
from tables.spec import Input, Scope, Touches, WriteMode


def test_touched_dates_scope_needs_a_date_column() -> None:
    with pytest.raises(ValueError, match="a date column is given exactly when the scope is touched_dates"):
        Input("silver.fact_orders", Scope.TOUCHED_DATES)


def test_a_declaration_takes_its_name_from_the_function_and_its_layer_from_the_package() -> None:
    spec = table("silver.fact_orders")
    assert (spec.name, spec.layer, spec.transform.__name__) == ("fact_orders", "silver", "fact_orders")


def test_layer_defaults_apply_unless_a_declaration_says_otherwise() -> None:
    assert table("gold.daily_order_metrics").write_mode is WriteMode.OVERWRITE_DATES
    assert table("gold.daily_order_metrics").partitioned_by == ("order_date",)
    assert table("silver.dim_buyer").write_mode is WriteMode.SYNC
    assert table("silver.fact_orders").write_mode is WriteMode.MERGE  # a fact says so
    assert table("interface.daily_order_report").write_mode is WriteMode.REPLACE
    assert not table("bronze.orders").audited and table("bronze.orders").partitioned_by == ("_run_date",)


def test_the_facts_that_set_the_touched_dates_say_so_in_their_files() -> None:
    touching = {spec.identifier: spec.touches for spec in all_tables() if spec.touches is not None}
    assert touching == {"silver.fact_orders": Touches(date_of="order_ts"),
                        "silver.fact_order_items": Touches(parent="silver.fact_orders", key="order_id")}
    with pytest.raises(ValueError, match="either from a column"):
        Touches(date_of="order_ts", parent="silver.fact_orders", key="order_id")


def test_only_a_fact_of_an_insert_only_source_replaces_its_window() -> None:
    clickstream = table("silver.fact_clickstream")
    assert clickstream.write_mode is WriteMode.REPLACE_WINDOW
    sources = {name: table(name) for name in ("bronze.clickstream", "bronze.ratings")}
    check_replaced_windows({**sources, clickstream.identifier: clickstream})
    on_ratings = replace(clickstream, window_of="bronze.ratings")  # created or updated: edits move rows' windows
    with pytest.raises(ValueError, match="insert-only"):
        check_replaced_windows({**sources, on_ratings.identifier: on_ratings})
    with pytest.raises(ValueError, match="window_of"):
        replace(clickstream, window_of=None)
