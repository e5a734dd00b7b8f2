"""Checks the declarations already imply are generated, so the YAML keeps business rules only."""

from __future__ import annotations

from tables.quality import checked_columns, declared_checks
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


def test_only_the_columns_the_checks_name_are_read_unless_a_schema_check_reads_them_all() -> None:
    columns = ["event_id", "event_type", "order_id", "order_ids", "page_url", "_ingested_at"]
    sodacl = declared_checks(table("silver.fact_clickstream")) + (
        "  - missing_count(order_id) = 0:\n      filter: event_type = 'purchase'\n")
    assert checked_columns(columns, sodacl) == ["event_id", "event_type", "order_id"]
    required = sodacl + "  - schema:\n      fail:\n        when required column missing: [page_url]\n"
    assert checked_columns(columns, required) == ["event_id", "event_type", "order_id", "page_url"]
    typed = required + "      warn:\n        when wrong column type:\n          event_id: string\n"
    assert checked_columns(columns, typed) == columns
