"""Restated figures: rows of already published dates that changed, appeared or disappeared; new dates are not."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tables.read.restatements import changes
from tables.registry import table

NOV1, NOV2, NOV3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)


def row(day: date, count: int, total: str) -> dict:
    return {"order_date": day, "order_count": count, "total_revenue": Decimal(total),
            "average_revenue": Decimal(total) / count}


def test_changed_and_vanished_rows_of_published_dates_are_restated_new_dates_are_not() -> None:
    before = {(NOV1,): row(NOV1, 2, "30.00"), (NOV2,): row(NOV2, 1, "5.00")}
    after = {(NOV1,): row(NOV1, 3, "45.00"), (NOV3,): row(NOV3, 1, "1.00")}  # NOV1 average unchanged: 15.00
    found = changes(table("interface.daily_order_report"), before, after, published_until=NOV2)
    assert [(c["order_date"], c["figure"], c["old"], c["new"]) for c in found] == [
        (NOV1, "order_count", "2", "3"), (NOV1, "total_revenue", "30.00", "45.00"),
        (NOV2, "order_count", "1", ""), (NOV2, "total_revenue", "5.00", ""), (NOV2, "average_revenue", "5.00", ""),
    ]
    assert all(c["report"] == "orders" and c["row"].startswith("order_date=") for c in found)
    assert changes(table("interface.daily_order_report"), before, before, published_until=NOV2) == []
