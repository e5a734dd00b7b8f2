"""The bench's single-node anchor: DuckDB computes both reports straight from the upstream Postgres (COPY out,
then SQL), for one day or for the whole history, with the meaning of DESIGN.md §4. It measures what a user who
only wants the two reports would pay; nothing of it runs in the pipeline (DuckDB is a bench-only dependency)."""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from infra.health import connect_upstream

# Each upstream table the reports read: its columns with DuckDB types, and which rows a day's recompute needs.
COLUMNS = {
    "orders": {"order_id": "BIGINT", "order_ts": "TIMESTAMP", "total_price": "DECIMAL(14,2)"},
    "orderitem": {"order_id": "BIGINT", "product_id": "BIGINT", "quantity": "INTEGER",
                  "base_price": "DECIMAL(12,2)"},
    "productcategory": {"product_id": "BIGINT", "category_id": "BIGINT"},
    "category": {"category_id": "BIGINT", "name": "VARCHAR"},
}
ROWS_CREATED = {"orders": "created_ts < %(until)s", "orderitem": "created_ts < %(until)s"}
ROWS_OF_DAY = {"orders": "order_ts >= %(day)s AND order_ts < %(day_after)s AND created_ts < %(until)s",
               "orderitem": "order_id IN (SELECT order_id FROM rainforest.orders WHERE order_ts >= %(day)s "
                            "AND order_ts < %(day_after)s) AND created_ts < %(until)s"}

ORDER_REPORT = """
    SELECT CAST(order_ts AS DATE) AS order_date, count(*) AS order_count, sum(total_price) AS total_revenue,
           round(avg(total_price), 2) AS average_revenue
    FROM orders GROUP BY 1 ORDER BY 1
"""
CATEGORY_REPORT = """
    SELECT CAST(o.order_ts AS DATE) AS order_date, c.category_id, c.name AS category_name, count(*) AS item_count,
           round(avg(i.quantity * i.base_price), 2) AS average_revenue,
           round(quantile_cont(i.quantity * i.base_price, 0.5), 2) AS median_revenue
    FROM orderitem i JOIN orders o USING (order_id) JOIN productcategory pc USING (product_id)
         JOIN category c USING (category_id)
    GROUP BY 1, 2, 3 ORDER BY 1, 2
"""


def _copy_out(folder: Path, until: date, day: date | None) -> int:
    """COPY each table's needed rows to CSV; the bytes copied."""
    params = {"until": until + timedelta(days=1), "day": day, "day_after": day and day + timedelta(days=1)}
    conn = connect_upstream()
    try:
        with conn.cursor() as cur:
            for table, columns in COLUMNS.items():
                where = (ROWS_OF_DAY if day else ROWS_CREATED).get(table, "TRUE")
                query = cur.mogrify(f"SELECT {', '.join(columns)} FROM rainforest.{table} WHERE {where}", params)
                with (folder / f"{table}.csv").open("w") as out:
                    cur.copy_expert(f"COPY ({query.decode()}) TO STDOUT WITH (FORMAT csv)", out)
    finally:
        conn.close()
    return sum((folder / f"{table}.csv").stat().st_size for table in COLUMNS)


def compute_reports(until: date, day: date | None = None) -> dict[str, Any]:
    """Both reports from upstream with everything created up to `until`: every order date, or only `day`."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="rainforest-anchor-") as scratch:
        folder = Path(scratch)
        started = time.monotonic()
        copied = _copy_out(folder, until, day)
        copy_seconds = time.monotonic() - started
        db = duckdb.connect()
        for table, columns in COLUMNS.items():
            types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
            db.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{folder / table}.csv', header = false, "
                       f"columns = {{{types}}})")
        reports = {}
        for name, sql in (("orders", ORDER_REPORT), ("categories", CATEGORY_REPORT)):
            cursor = db.execute(sql)
            names = [column[0] for column in cursor.description]
            reports[name] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        db.close()
        seconds = time.monotonic() - started
    return {"seconds": round(seconds, 2), "copy_seconds": round(copy_seconds, 2),
            "compute_seconds": round(seconds - copy_seconds, 2), "bytes_copied": copied,
            "report_rows": {name: len(rows) for name, rows in reports.items()}, "reports": reports}


def differences(anchor: list[dict[str, Any]], published: list[dict[str, Any]], keys: tuple[str, ...]) -> int:
    """Rows where DuckDB's report and the published one disagree (a missing row counts; amounts to the cent)."""
    def by_key(rows: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
        return {tuple(row[key] for key in keys): row for row in rows}

    mine, theirs = by_key(anchor), by_key(published)
    differing = len(mine.keys() ^ theirs.keys())
    for key in mine.keys() & theirs.keys():
        for column, value in theirs[key].items():
            expected = mine[key][column]
            if isinstance(value, Decimal) and abs(Decimal(str(expected)) - value) > Decimal("0.005"):
                differing += 1
                break
            if not isinstance(value, Decimal) and value != expected:
                differing += 1
                break
    return differing


def anchor(measured_day: date) -> dict[str, Any]:
    """DuckDB's time for the measured day and for the whole history, and whether its day agrees with the
    reports the pipeline published for that day."""
    from tables.reports import report_rows, reports

    day = compute_reports(measured_day, measured_day)
    history = compute_reports(measured_day)
    agreement = {name: differences(day["reports"][name], report_rows(name, measured_day, measured_day),
                                   spec.keys)
                 for name, spec in reports().items()}
    return {"day": {k: v for k, v in day.items() if k != "reports"},
            "full_history": {k: v for k, v in history.items() if k != "reports"},
            "rows_differing_from_the_published_day": agreement}
