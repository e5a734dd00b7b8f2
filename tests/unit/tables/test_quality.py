"""Checks the declarations already imply are generated, so the YAML keeps business rules only."""

from __future__ import annotations

from tables.quality import declared_checks
from tables.registry import table


def test_keys_and_references_are_checked_from_the_declaration() -> None:
    assert declared_checks(table("silver.fact_order_items")).splitlines() == [
        "checks for fact_order_items:",
        "  - missing_count(order_item_id) = 0",
        "  - duplicate_count(order_item_id) = 0",
        "  - values in (order_id) must exist in fact_orders (order_id)",
    ]


def test_a_compound_key_is_unique_as_a_whole_and_a_report_has_its_columns() -> None:
    checks = declared_checks(table("interface.daily_category_report"))
    assert "  - duplicate_count(order_date, category_id) = 0" in checks.splitlines()
    assert ("when required column missing: [order_date, category_id, category_name, item_count, average_revenue, "
            "median_revenue]") in checks
