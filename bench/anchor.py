"""The bench's single-node anchor: DuckDB computes both reports straight from the upstream Postgres (COPY out,
then SQL), for one day or for the whole history, with the meaning of DESIGN.md §4. It measures what a user who
only wants the two reports would pay; nothing of it runs in the pipeline (DuckDB is a dev dependency)."""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from infra.upstream_db import connect_upstream

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

# Exact to the cent, like the pipeline and Postgres' numeric: amounts as integer cents, averages and medians
# rounded half up in integers (DuckDB averages decimals as doubles, which rounds some half cents the other way).
CENTS = "CAST({amount} * 100 AS BIGINT)"
AVERAGE = "CAST((2 * sum({cents}) + count(*)) // (2 * count(*)) AS DECIMAL(18, 0)) * 0.01"
MEDIAN = "CAST(floor(quantile_cont({cents}, 0.5) + 0.5) AS DECIMAL(18, 0)) * 0.01"
ORDER_REPORT = f"""
    SELECT CAST(order_ts AS DATE) AS order_date, count(*) AS order_count, sum(total_price) AS total_revenue,
           {AVERAGE.format(cents=CENTS.format(amount="total_price"))} AS average_revenue
    FROM orders GROUP BY 1 ORDER BY 1
"""
ITEM_CENTS = CENTS.format(amount="i.quantity * i.base_price")
CATEGORY_REPORT = f"""
    SELECT CAST(o.order_ts AS DATE) AS order_date, c.category_id, c.name AS category_name, count(*) AS item_count,
           {AVERAGE.format(cents=ITEM_CENTS)} AS average_revenue, {MEDIAN.format(cents=ITEM_CENTS)} AS median_revenue
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


def reports_of(db: Any) -> dict[str, list[dict[str, Any]]]:
    """Both reports from the tables of COLUMNS in a DuckDB connection."""
    reports = {}
    for name, sql in (("orders", ORDER_REPORT), ("categories", CATEGORY_REPORT)):
        cursor = db.execute(sql)
        names = [column[0] for column in cursor.description]
        reports[name] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return reports


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
        reports = reports_of(db)
        db.close()
        seconds = time.monotonic() - started
    return {"seconds": round(seconds, 2), "copy_seconds": round(copy_seconds, 2),
            "compute_seconds": round(seconds - copy_seconds, 2), "bytes_copied": copied,
            "report_rows": {name: len(rows) for name, rows in reports.items()}, "reports": reports}


def differences(anchor: list[dict[str, Any]], published: list[dict[str, Any]], keys: tuple[str, ...]) -> int:
    """Rows where DuckDB's report and the published one differ (a row only one of them has counts too)."""
    mine = {tuple(row[key] for key in keys): row for row in anchor}
    theirs = {tuple(row[key] for key in keys): row for row in published}
    return len(mine.keys() ^ theirs.keys()) + sum(
        any(mine[key][column] != value for column, value in theirs[key].items()) for key in mine.keys() & theirs.keys())


def anchor(measured_day: date) -> dict[str, Any]:
    """DuckDB's time for the measured day and for the whole history, and whether its day agrees with the
    reports the pipeline published for that day."""
    from tables.read.reports import report_rows, reports

    day = compute_reports(measured_day, measured_day)
    history = compute_reports(measured_day)
    agreement = {name: differences(day["reports"][name], report_rows(name, measured_day, measured_day),
                                   spec.keys)
                 for name, spec in reports().items()}
    return {"day": {k: v for k, v in day.items() if k != "reports"},
            "full_history": {k: v for k, v in history.items() if k != "reports"},
            "rows_differing_from_the_published_day": agreement}
