"""Rendering the reports as DESIGN.md §7 says."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tables.read.reports import render


def test_csv_has_the_contract_columns_and_two_decimals() -> None:
    rows = [{"order_date": date(2026, 11, 1), "order_count": 2, "total_revenue": Decimal("30.1"),
             "average_revenue": Decimal("15.05")}]
    assert render("orders", rows, "csv").splitlines() == [
        "order_date,order_count,total_revenue,average_revenue",
        "2026-11-01,2,30.10,15.05",
    ]


def test_category_csv_header() -> None:
    assert render("categories", [], "csv") == (
        "order_date,category_id,category_name,item_count,average_revenue,median_revenue")


def test_the_declared_reports_have_the_contract_columns() -> None:
    from tables.read.reports import reports

    declared = {name: (spec.identifier, spec.report.columns if spec.report else ()) for name, spec in reports().items()}
    assert declared == {
        "orders": ("interface.daily_order_report", ("order_date", "order_count", "total_revenue", "average_revenue")),
        "categories": ("interface.daily_category_report", ("order_date", "category_id", "category_name",
                                                           "item_count", "average_revenue", "median_revenue")),
    }
