from __future__ import annotations

from datetime import date, timedelta

import psycopg2
import pytest

from datagen.generate import generate
from infra.local.stack import ensure_env_file, recreate_database
from infra.settings import settings, stack_settings
from tables.engine.lake import catalog, purge_all_tables

START = date(2026, 11, 1)
DAYS = 3
ORDERS_PER_DAY = 300


@pytest.fixture(scope="session")
def upstream() -> None:
    """A fresh upstream database with a few days of data and an empty test lake."""
    ensure_env_file()
    assert stack_settings().pg_database == "rainforest_test"
    recreate_database("rainforest_test")
    purge_all_tables()
    generate(START, DAYS, ORDERS_PER_DAY, seed=7)


def pg_rows(sql: str, params: object = None) -> list[tuple]:
    conn = psycopg2.connect(settings().upstream_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


def pg_execute(*statements: str) -> None:
    conn = psycopg2.connect(settings().upstream_dsn)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
        conn.commit()
    finally:
        conn.close()


def table_contents(identifier: str) -> list[dict]:
    """A table's rows as main holds them, in key order, without the ingestion time (differs per run)."""
    from tables.registry import table

    rows = catalog().load_table(identifier).scan().to_arrow().to_pylist()
    keys = table(identifier).keys
    return sorted(({k: v for k, v in row.items() if k != "_ingested_at"} for row in rows),
                  key=lambda row: tuple(row[k] for k in keys) + (row.get("_run_date") or date.min,))


@pytest.fixture(scope="session")
def published(upstream: None, prefect: None) -> None:
    """At least one run published (when a module runs alone)."""
    from flows.daily import rainforest_daily

    if not catalog().table_exists("interface.daily_order_report"):
        rainforest_daily(run_date=date(2026, 11, 3))


def main_snapshots() -> dict[str, int | None]:
    lake = catalog()
    snapshots = {}
    for namespace in lake.list_namespaces():
        for identifier in lake.list_tables(namespace):
            snapshot = lake.load_table(identifier).current_snapshot()
            snapshots[".".join(identifier)] = snapshot.snapshot_id if snapshot else None
    return snapshots


ORDER_REPORT_SQL = """
    SELECT order_ts::date, count(*), sum(total_price), round(avg(total_price), 2)
    FROM rainforest.orders WHERE created_ts < %(until)s GROUP BY 1 ORDER BY 1
"""
CATEGORY_REPORT_SQL = """
    SELECT o.order_ts::date, c.category_id, c.name, count(*), round(avg(i.quantity * i.base_price), 2),
           round(percentile_cont(0.5) WITHIN GROUP (ORDER BY i.quantity * i.base_price)::numeric, 2)
    FROM rainforest.orderitem i
    JOIN rainforest.orders o USING (order_id)
    JOIN rainforest.productcategory pc USING (product_id)
    JOIN rainforest.category c USING (category_id)
    WHERE o.created_ts < %(until)s AND i.created_ts < %(until)s GROUP BY 1, 2, 3 ORDER BY 1, 2
"""


def expected(report: str, until: date) -> list[dict[str, object]]:
    """The SQL oracle: a report computed in Postgres from every row created up to `until` (what the runs up to
    that date extracted), with current names and category membership (DESIGN.md §4)."""
    params = {"until": until + timedelta(days=1)}
    if report == "orders":
        return [{"order_date": d, "order_count": n, "total_revenue": total, "average_revenue": avg}
                for d, n, total, avg in pg_rows(ORDER_REPORT_SQL, params)]
    return [{"order_date": d, "category_id": c, "category_name": name, "item_count": n, "average_revenue": avg,
             "median_revenue": median}
            for d, c, name, n, avg, median in pg_rows(CATEGORY_REPORT_SQL, params)]
