"""A late-arriving order updates its date's report on the next run; a run killed in gold, or a failed day in a
backfill, leaves main exactly as it was; the publish log traces what was published."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

import flows.daily
from datagen.generate import generate
from flows.daily import rainforest_backfill, rainforest_daily
from infra.errors import RunFailedError
from tables.registry import table
from tables.lake import catalog
from tables.reports import report_rows

from .conftest import START, main_snapshots, pg_execute
from .test_daily_flow import expected

pytestmark = pytest.mark.integration
LATE_DAY = date(2026, 11, 6)


@pytest.fixture(scope="module")
def late_order_published(upstream: None, prefect: None) -> None:
    generate(LATE_DAY, 1, 300, seed=7)
    pg_execute(
        "INSERT INTO rainforest.orders VALUES (99000000001, 1, '2026-11-01 08:00', 50.00, '2026-11-06 09:00')",
        "INSERT INTO rainforest.orderitem VALUES (99000000003, 99000000001, 7, "
        "(SELECT min(seller_id) FROM rainforest.sellerproduct WHERE product_id = 7), 2, 25.00, 4.00, "
        "'2026-11-06 09:00')",
    )
    rainforest_daily(run_date=LATE_DAY)


@pytest.mark.parametrize("report", ["orders", "categories"])
def test_late_order_updates_its_earlier_date(late_order_published: None, report: str) -> None:
    assert report_rows(report, START, START) == [row for row in expected(report, LATE_DAY)
                                                 if row["order_date"] == START]


def test_publish_log_traces_the_run(late_order_published: None) -> None:
    log = catalog().load_table("meta.publish_log").scan().to_arrow().to_pylist()
    last = [row for row in log if row["run_date"] == LATE_DAY]
    published = {row["table_name"]: row["snapshot_id"] for row in last}
    assert published["interface.daily_order_report"] == main_snapshots()["interface.daily_order_report"]
    assert all(row["checks_failed"] == 0 for row in last)
    assert next(r for r in last if r["table_name"] == "silver.fact_orders")["checks_passed"] >= 5


def test_run_killed_in_gold_then_backfill_stops_and_resumes(late_order_published: None,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    generate(date(2026, 11, 7), 2, 300, seed=7)

    def crash(**_: object) -> None:
        raise RuntimeError("simulated crash inside a gold transform")

    crashing = replace(table("gold.wide_orders"), transform=crash)
    monkeypatch.setattr(flows.daily, "table",
                        lambda identifier: crashing if identifier == "gold.wide_orders" else table(identifier))
    before = main_snapshots()
    with pytest.raises(RunFailedError, match="backfill stopped at 2026-11-07.*simulated crash"):
        rainforest_backfill(start=date(2026, 11, 7), end=date(2026, 11, 8))
    assert main_snapshots() == before
    assert "run_20261107" in catalog().load_table("silver.fact_orders").metadata.refs
    monkeypatch.undo()

    assert rainforest_backfill(start=date(2026, 11, 7), end=date(2026, 11, 8)) == [date(2026, 11, 7),
                                                                                   date(2026, 11, 8)]
    assert report_rows("orders", START, date(2026, 11, 8)) == expected("orders", date(2026, 11, 8))
    assert "run_20261107" not in catalog().load_table("silver.fact_orders").metadata.refs
