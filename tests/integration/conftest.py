from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


def fresh_upstream_and_lake() -> None:
    """The shared upstream database with a few days of data (`rainforest_test`), and an empty test lake."""
    assert stack_settings().pg_database == "rainforest_test"
    recreate_database("rainforest_test")
    purge_all_tables()
    generate(START, DAYS, ORDERS_PER_DAY, seed=7)


@pytest.fixture(scope="session")
def upstream() -> None:
    ensure_env_file()
    fresh_upstream_and_lake()


def use_database_and_lake(database: str, warehouse: str) -> None:
    """Point settings and Spark sessions at another upstream database and lake (environment set by the caller)."""
    from tables.engine.spark import forget_session

    settings.cache_clear()
    forget_session(new_id=True)  # a session's catalog is the lake it was opened for
    assert stack_settings().pg_database == database and settings().warehouse == warehouse


@contextmanager
def own_upstream_and_lake(name: str) -> Iterator[None]:
    """A module's own empty upstream database (`rainforest_<name>`) and lake (bucket `lake-<name>`): a timeline
    that starts from nothing, without emptying what the other modules share, whatever order they run in."""
    database, warehouse = f"rainforest_{name}", f"s3://lake-{name}/"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAINFOREST_PG_DATABASE", database)
        patch.setenv("RAINFOREST_WAREHOUSE", warehouse)
        use_database_and_lake(database, warehouse)
        recreate_database(database)
        purge_all_tables()
        try:
            yield
        finally:
            patch.undo()
            use_database_and_lake("rainforest_test", "s3://lake-test/")


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
