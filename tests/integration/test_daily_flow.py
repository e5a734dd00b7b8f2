"""The parent flow under prefect_test_harness against the real stack; reports equal SQL run on Postgres."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from flows.daily import rainforest_daily
from tables.reports import catalog, report_rows

from .conftest import START, main_snapshots, pg_rows

pytestmark = pytest.mark.integration
RUN_DATE = date(2026, 11, 3)

ORDER_REPORT_SQL = """
    SELECT order_ts::date, count(*), sum(total_price), round(avg(total_price), 2)
    FROM rainforest.orders WHERE order_ts < %s GROUP BY 1 ORDER BY 1
"""


def expected_order_report(until: date) -> list[dict[str, object]]:
    return [{"order_date": d, "order_count": n, "total_revenue": total, "average_revenue": avg}
            for d, n, total, avg in pg_rows(ORDER_REPORT_SQL, until.replace(day=until.day + 1))]


@pytest.fixture(scope="module")
def first_run(upstream: None, prefect: None) -> list:
    return rainforest_daily(run_date=RUN_DATE)


def test_first_run_loads_history_and_order_report_equals_postgres(first_run: list) -> None:
    assert {result.table for result in first_run} >= {"bronze.orders", "silver.fact_orders",
                                                      "gold.daily_order_metrics", "interface.daily_order_report"}
    report = report_rows("orders", START, RUN_DATE)
    assert report == expected_order_report(RUN_DATE)
    assert len(report) == 3
    assert all(isinstance(row["total_revenue"], Decimal) for row in report)


def test_publish_fast_forwards_main_and_removes_the_run_branch(first_run: list) -> None:
    fact_orders = catalog().load_table("silver.fact_orders")
    assert set(fact_orders.metadata.refs) == {"main"}
    published = {result.table: result.snapshot_id for result in first_run}
    assert main_snapshots()["silver.fact_orders"] == published["silver.fact_orders"]


def test_rerunning_a_date_changes_nothing(first_run: list) -> None:
    before = report_rows("orders", START, RUN_DATE)
    rainforest_daily(run_date=RUN_DATE)
    assert report_rows("orders", START, RUN_DATE) == before
    order_ids = catalog().load_table("silver.fact_orders").scan(selected_fields=("order_id",)).to_arrow()
    assert order_ids.num_rows == len(set(order_ids.column("order_id").to_pylist())) == 900
