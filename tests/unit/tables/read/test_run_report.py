"""The run report is one self-contained HTML page: charts inside it, nothing fetched from anywhere."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from infra.settings import settings
from tables.read.run_report import metric_history, metric_tables, render, write

NOV1, NOV2 = date(2026, 11, 1), date(2026, 11, 2)


def test_a_page_with_three_charts_the_checks_and_the_restatements_and_no_outside_resource() -> None:
    orders = [{"order_date": day, "order_count": 2, "total_revenue": Decimal("30.00")} for day in (NOV1, NOV2)]
    categories = [{"order_date": NOV2, "category_name": "Lamps", "average_revenue": Decimal("7.50"),
                   "median_revenue": Decimal("7.00")}]
    restated = [{"report": "categories", "order_date": NOV1, "row": "order_date=2026-11-01, category_id=1",
                 "figure": "item_count", "old": "3", "new": "4"}]
    history = metric_history([{"table_name": "gold.daily_order_metrics", "check_name": "max avg", "value": v,
                               "run_date": day} for day, v in ((NOV1, 15.0), (NOV2, 16.0))])
    page = render(NOV2, orders, categories, "<table id='checks'></table>", restated, history)
    assert page.startswith("<!DOCTYPE html>") and page.count('src="data:image/svg+xml;base64,') == 3
    assert "<table id='checks'></table>" in page and "item_count" in page and "order_date=2026-11-01" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # viewable offline


def test_a_run_that_audited_no_table_still_gets_its_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its reports folder was never made: no Soda scan wrote there."""
    monkeypatch.setenv("RAINFOREST_HOME", str(tmp_path))
    settings.cache_clear()
    try:
        path = write("run_20261102/nothing_audited", NOV2, [], [], [], [])
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    assert path.parent.is_dir() and path.read_text().startswith("<!DOCTYPE html>")


def test_the_trend_follows_the_trended_tables_and_those_the_reports_are_computed_from() -> None:
    assert metric_tables() == ["gold.daily_category_metrics", "gold.daily_order_metrics", "silver.fact_clickstream",
                               "silver.fact_order_items", "silver.fact_orders"]


def test_trend_checks_are_charted_first() -> None:
    rows = [{"table_name": table, "check_name": check, "value": 5.0, "run_date": NOV1}
            for table, check in (("gold.daily_order_metrics", "max avg"), ("silver.fact_orders", "trend row_count"))]
    assert list(metric_history(rows)) == ["silver.fact_orders: trend row_count", "gold.daily_order_metrics: max avg"]
