from datetime import date
from decimal import Decimal

import duckdb

from bench.anchor import COLUMNS, differences, reports_of

DAY = date(2026, 11, 3)


def test_duckdb_reports_are_exact_to_the_cent_and_round_half_cents_up() -> None:
    db = duckdb.connect()
    for table, columns in COLUMNS.items():
        db.execute(f"CREATE TABLE {table} ({', '.join(f'{name} {kind}' for name, kind in columns.items())})")
    db.execute("INSERT INTO orders VALUES (1, '2026-11-03 08:00', 1.00), (2, '2026-11-03 23:59', 1.01), "
               "(3, '2026-11-04 00:00', 2.50)")
    db.execute("INSERT INTO orderitem VALUES (1, 10, 1, 1.00), (2, 10, 1, 1.01), (3, 11, 2, 1.25)")
    db.execute("INSERT INTO productcategory VALUES (10, 1), (11, 1), (11, 2)")
    db.execute("INSERT INTO category VALUES (1, 'Books'), (2, 'Toys')")

    reports = reports_of(db)

    assert reports["orders"] == [
        {"order_date": DAY, "order_count": 2, "total_revenue": Decimal("2.01"), "average_revenue": Decimal("1.01")},
        {"order_date": date(2026, 11, 4), "order_count": 1, "total_revenue": Decimal("2.50"),
         "average_revenue": Decimal("2.50")},
    ]
    assert [(r["order_date"], r["category_name"], r["item_count"], r["average_revenue"], r["median_revenue"])
            for r in reports["categories"]] == [
        (DAY, "Books", 2, Decimal("1.01"), Decimal("1.01")),  # 1.005: half a cent, up (a double gives 1.00)
        (date(2026, 11, 4), "Books", 1, Decimal("2.50"), Decimal("2.50")),
        (date(2026, 11, 4), "Toys", 1, Decimal("2.50"), Decimal("2.50")),
    ]


def row(category_id: int, average: str, name: str = "Books") -> dict[str, object]:
    return {"order_date": DAY, "category_id": category_id, "category_name": name, "average_revenue": Decimal(average)}


def test_rows_differing_by_a_cent_a_name_or_presence_each_count_once() -> None:
    keys = ("order_date", "category_id")
    assert differences([row(1, "12.35"), row(2, "3.00")], [row(1, "12.35"), row(2, "3.00")], keys) == 0
    anchor = [row(1, "12.00"), row(2, "3.00", "Toys"), row(3, "1.00")]
    published = [row(1, "12.01"), row(2, "3.00", "Games"), row(4, "1.00")]
    assert differences(anchor, published, keys) == 4
