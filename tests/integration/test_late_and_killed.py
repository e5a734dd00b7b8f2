"""A late-arriving order updates its date's report on the next run; a day failing in gold stops a backfill and
leaves main exactly as it was; the publish log traces what was published. Real kills: test_crash_safety.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from pyspark.sql import DataFrame

import flows.daily
from datagen.generate import generate
from flows.daily import rainforest_backfill, rainforest_daily
from tables.engine.lake import catalog
from tables.publish.protocol import last_release
from tables.read.reports import report_rows
from tables.registry import table

from .conftest import START, expected, main_snapshots, pg_execute

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
    release = last_release()
    assert release is not None and release.run_date == LATE_DAY
    assert release.snapshots["interface.daily_order_report"] == main_snapshots()["interface.daily_order_report"]
    log = [row for row in catalog().load_table("meta.publish_log").scan().to_arrow().to_pylist()
           if row["run_id"] == release.run_id]
    assert {row["state"] for row in log} == {"intent", "complete"}
    intents = [row for row in log if row["state"] == "intent"]
    assert all(row["checks_failed"] == 0 for row in intents)
    assert next(r for r in intents if r["table_name"] == "silver.fact_orders")["checks_passed"] >= 5


def test_a_day_failing_in_gold_stops_the_backfill_which_resumes_once_fixed(late_order_published: None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    generate(date(2026, 11, 7), 2, 300, seed=7)

    def crash(**_: object) -> DataFrame:
        raise RuntimeError("a bug inside a gold transform")

    crashing = replace(table("gold.wide_orders"), transform=crash)
    monkeypatch.setattr(flows.daily, "table",
                        lambda identifier: crashing if identifier == "gold.wide_orders" else table(identifier))
    before = main_snapshots()
    with pytest.raises(RuntimeError, match="a bug inside a gold transform"):
        rainforest_backfill(start=date(2026, 11, 7), end=date(2026, 11, 8))
    assert main_snapshots() == before
    assert any(ref.startswith("run_20261107") for ref in catalog().load_table("silver.fact_orders").metadata.refs)
    monkeypatch.undo()

    assert rainforest_backfill(start=date(2026, 11, 7), end=date(2026, 11, 8)) == [date(2026, 11, 7),
                                                                                   date(2026, 11, 8)]
    assert report_rows("orders", START, date(2026, 11, 8)) == expected("orders", date(2026, 11, 8))
    assert set(catalog().load_table("silver.fact_orders").metadata.refs) == {"main"}
