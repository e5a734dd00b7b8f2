from datetime import date
from decimal import Decimal

from flows.bench_anchor import differences

KEYS = ("order_date", "category_id")
DAY = date(2026, 11, 3)


def row(category_id: int, average: float | Decimal, name: str = "Books") -> dict[str, object]:
    return {"order_date": DAY, "category_id": category_id, "category_name": name, "average_revenue": average}


def test_duckdb_report_that_matches_to_the_cent_agrees() -> None:
    assert differences([row(1, 12.345), row(2, 3.0)], [row(1, Decimal("12.35")), row(2, Decimal("3.00"))], KEYS) == 0


def test_a_differing_amount_a_name_or_a_missing_row_each_count_once() -> None:
    anchor = [row(1, 12.0), row(2, 3.0, "Toys"), row(3, 1.0)]
    published = [row(1, Decimal("12.02")), row(2, Decimal("3.00"), "Games"), row(4, Decimal("1.00"))]
    assert differences(anchor, published, KEYS) == 4
