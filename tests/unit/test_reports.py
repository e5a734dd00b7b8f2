from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tables.reports import render


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


@pytest.mark.parametrize("argv, message", [
    (["backfill", "--start", "2026-11-07", "--end", "2026-11-01"], "--end 2026-11-01 is before --start 2026-11-07"),
    (["report", "orders", "--from", "2026-11-07", "--to", "2026-11-01"], "--from 2026-11-07 is after --to"),
])
def test_reversed_date_ranges_get_one_clear_sentence(argv: list[str], message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
