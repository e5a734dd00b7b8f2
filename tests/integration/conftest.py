from __future__ import annotations

from datetime import date

import psycopg2
import pytest

from datagen.generate import generate
from infra.local.stack import ensure_env_file, recreate_database
from infra.settings import settings
from tables.lake import catalog, purge_all_tables

START = date(2026, 11, 1)
DAYS = 3
ORDERS_PER_DAY = 300


@pytest.fixture(scope="session")
def upstream() -> None:
    """A fresh upstream database with a few days of data and an empty test lake."""
    ensure_env_file()
    assert settings().pg_database == "rainforest_test"
    recreate_database("rainforest_test")
    purge_all_tables()
    generate(START, DAYS, ORDERS_PER_DAY, seed=7)


def pg_rows(sql: str, *params: object) -> list[tuple]:
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
