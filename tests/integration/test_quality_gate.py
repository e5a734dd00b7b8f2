"""Bad data fails the gate at the right table before anything is published; a missing service is named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from datagen.generate import generate
from flows.daily import rainforest_backfill, rainforest_daily
from infra.errors import QualityGateError, ServiceUnavailableError
from infra.settings import settings
from tables.engine.lake import catalog
from tables.engine.spark import get_spark
from tables.publish.protocol import complete_runs, last_release, log_rows, published_dates, published_rows_of
from tables.quality import dq_history, gate
from tables.read.reports import report_rows
from tables.registry import table

from .conftest import START, main_snapshots, own_upstream_and_lake, pg_execute

pytestmark = pytest.mark.integration
ORDERS_PER_DAY = 300
DUPLICATE_DAY = date(2026, 11, 11)
BAD_ITEMS_DAY = date(2026, 11, 12)
DAY5_ORDER = ("(SELECT min(order_id) FROM rainforest.orders "
              "WHERE created_ts >= '2026-11-12' AND created_ts < '2026-11-13')")


def assert_fails_at(run_date: date, tables: set[str], check: str) -> QualityGateError:
    before = main_snapshots()
    report_before = report_rows("orders", START, run_date)
    with pytest.raises(QualityGateError) as failure:
        rainforest_daily(run_date=run_date)
    error = failure.value
    assert error.table in tables
    assert check in str(error) and error.branch in str(error)
    assert main_snapshots() == before
    assert report_rows("orders", START, run_date) == report_before
    assert error.branch in catalog().load_table(error.table).metadata.refs  # kept for inspection
    return error


@pytest.fixture(scope="module")
def history(prefect: None) -> Iterator[None]:
    """This module's own upstream database and lake with ten ordinary days published: the history its trend
    checks judge the days it plants bad rows in against, whatever ran before it."""
    with own_upstream_and_lake("gate"):
        generate(START, (DUPLICATE_DAY - START).days, ORDERS_PER_DAY, seed=7)
        rainforest_backfill(start=START, end=DUPLICATE_DAY - timedelta(days=1))
        yield


def failed_checks(error: QualityGateError) -> list[dict]:
    report = json.loads(Path(str(error).rsplit("full Soda results: ", 1)[1]).read_text())
    return [check for check in report["checks"] if check["outcome"] == "fail"]


def test_planted_duplicate_order_fails_at_silver_fact_orders(history: None) -> None:
    generate(DUPLICATE_DAY, 1, ORDERS_PER_DAY, seed=7)
    pg_execute(
        "ALTER TABLE rainforest.orders DROP CONSTRAINT orders_pkey",
        "INSERT INTO rainforest.orders SELECT * FROM rainforest.orders "
        "WHERE order_id = (SELECT min(order_id) FROM rainforest.orders "
        "WHERE created_ts >= '2026-11-11' AND created_ts < '2026-11-12')",
    )
    try:
        error = assert_fails_at(DUPLICATE_DAY, {"silver.fact_orders"}, "duplicate_count(order_id) = 0")
        staged = catalog().load_table("silver.fact_orders")
        branch_rows = staged.scan(snapshot_id=staged.metadata.refs[error.branch].snapshot_id,
                                  selected_fields=("order_id",)).to_arrow().column("order_id").to_pylist()
        assert len(branch_rows) == len(set(branch_rows)) + 1  # the branch holds the bad data
        assert [c["diagnostics"]["value"] for c in failed_checks(error)] == [1]
    finally:
        pg_execute(
            "DELETE FROM rainforest.orders a USING rainforest.orders b "
            "WHERE a.order_id = b.order_id AND a.ctid > b.ctid",
            "ALTER TABLE rainforest.orders ADD PRIMARY KEY (order_id)",
        )
    rainforest_daily(run_date=DUPLICATE_DAY)
    assert report_rows("orders", START, DUPLICATE_DAY)[-1]["order_date"] == DUPLICATE_DAY
    refs = catalog().load_table("silver.fact_orders").metadata.refs
    assert {name for name, ref in refs.items() if ref.snapshot_ref_type == "branch"} == {"main"}  # (and tags)


def test_null_key_orphan_item_and_excessive_revenue_fail_at_their_tables(history: None,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    generate(BAD_ITEMS_DAY, 1, ORDERS_PER_DAY, seed=7)
    pg_execute("ALTER TABLE rainforest.orderitem ALTER COLUMN product_id DROP NOT NULL",
               "INSERT INTO rainforest.orderitem VALUES (99000000001, " + DAY5_ORDER + ", NULL, 1, 1, 1.00, 0.08, "
               "'2026-11-12 12:00')")
    try:
        assert_fails_at(BAD_ITEMS_DAY, {"silver.fact_order_items"}, "missing_count(product_id) = 0")
    finally:
        pg_execute("DELETE FROM rainforest.orderitem WHERE order_item_id = 99000000001",
                   "ALTER TABLE rainforest.orderitem ALTER COLUMN product_id SET NOT NULL")

    pg_execute("INSERT INTO rainforest.orderitem VALUES (99000000004, 42, 1, 1, 1, 1.00, 0.08, '2026-11-12 12:00')")
    try:  # an item of an order the lake never saw: no order date, so it must not slip past the audit's scope
        assert_fails_at(BAD_ITEMS_DAY, {"silver.fact_order_items"}, "every item belongs to a known order")
    finally:
        pg_execute("DELETE FROM rainforest.orderitem WHERE order_item_id = 99000000004")

    pg_execute("INSERT INTO rainforest.orderitem VALUES (99000000002, " + DAY5_ORDER + ", 1, 1, 1000, 9999999.99, "
               "0, '2026-11-12 12:00')",
               "UPDATE rainforest.orders SET total_price = total_price + 9999999990.00 WHERE order_id = " + DAY5_ORDER)
    try:  # the day's revenue is thousands of times the usual: its trend check stops it in silver first
        assert_fails_at(BAD_ITEMS_DAY, {"silver.fact_orders"}, "trend sum(total_price): 10,000,")
        with monkeypatch.context() as trends_off:  # with trend checks out of the way, the business rule holds
            trends_off.setattr(gate, "trend_checks", lambda *_: {})
            error = assert_fails_at(BAD_ITEMS_DAY, {"gold.daily_order_metrics", "gold.daily_category_metrics"},
                                    "at most 100,000 USD")
        assert all(c["diagnostics"]["value"] > 100_000 for c in failed_checks(error))
    finally:
        pg_execute("UPDATE rainforest.orders SET total_price = total_price - 9999999990.00 WHERE order_id = "
                   + DAY5_ORDER, "DELETE FROM rainforest.orderitem WHERE order_item_id = 99000000002")
    rainforest_daily(run_date=BAD_ITEMS_DAY)


@pytest.mark.parametrize("variable, value, service", [
    ("RAINFOREST_CATALOG_URI", "http://127.0.0.1:9", "Iceberg REST catalog"),
    ("RAINFOREST_UPSTREAM_DSN", "postgresql://rainforest:x@127.0.0.1:9/rainforest", "PostgreSQL"),
])
def test_a_missing_service_is_named(prefect: None, monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
                                    service: str) -> None:
    monkeypatch.setenv(variable, value)
    settings.cache_clear()
    try:
        with pytest.raises(ServiceUnavailableError, match=service) as failure:
            rainforest_daily(run_date=date(2026, 11, 3))
        assert f"check {variable} " in str(failure.value) and "`rainforest stack up`" in str(failure.value)
    finally:
        monkeypatch.undo()
        settings.cache_clear()


def generated_history(run_date: date, figures: dict[str, float], scale: float, label: str) -> dict[str, date]:
    """Four weeks of quality history of silver.fact_orders before `run_date` in meta.dq_metrics, around
    `scale` × `figures`, as runs that only this test counts complete (no other reader sees them)."""
    runs = {f"trend_test_{label}_{n}": run_date - timedelta(days=n) for n in range(1, 29)}
    rows = [{"run_id": run_id, "run_date": day, "attempt": "generated", "table_name": "silver.fact_orders",
             "check_name": f"trend {metric}", "value": scale * value * (1 + (day.day % 5 - 2) / 50),
             "outcome": "pass"} for run_id, day in runs.items() for metric, value in figures.items()]
    catalog().load_table(dq_history.DQ_METRICS).append(pa.Table.from_pylist(rows, schema=dq_history.SCHEMA))
    return runs


def test_trend_checks_judge_the_run_date_against_the_quality_history_in_the_lake(history: None) -> None:
    """A published day judged against a generated history like it passes; against a history ten times busier
    (the day has a tenth of the usual orders) it fails, naming the metric, its value and the expected range."""
    release, spec, day = last_release(), table("silver.fact_orders"), START + timedelta(days=2)
    assert release is not None
    spark = get_spark()
    rows = published_rows_of(spark, spec, release, day)
    figure = rows.selectExpr("count(*)", "sum(total_price)").first()
    assert figure is not None
    orders, revenue = figure
    figures = {"row_count": float(orders), "sum(total_price)": float(revenue)}

    usual = gate.trend_checks(day, generated_history(day, figures, 1, "usual"))["silver.fact_orders"]
    assert "fail: when not between" in usual
    outcome = gate.scan(spark, spec, lambda _: rows, "trend_test/usual", usual)
    assert outcome.passed, outcome.failures
    assert {c["check"]: c["outcome"] for c in outcome.checks if str(c["check"]).startswith("trend ")} == {
        "trend row_count": "pass", "trend sum(total_price)": "pass"}

    busier = gate.trend_checks(day, generated_history(day, figures, 10, "busier"))["silver.fact_orders"]
    outcome = gate.scan(spark, spec, lambda _: rows, "trend_test/busier", busier)
    assert not outcome.passed
    assert any(line.startswith(f"trend row_count: {orders:,} on the run date, expected ") and "(gate: " in line
               for line in outcome.failures), outcome.failures
    with pytest.raises(QualityGateError, match="trend sum\\(total_price\\): .* on the run date, expected .* to "):
        gate.gate(outcome, "trend_test")


def test_a_real_spike_publishes_with_a_reason_and_a_business_rule_is_never_accepted(
        history: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A day twenty times busier than a generated history fails the trend gate, which names the command that
    accepts it; accepted with a reason it publishes, and the reason and outcome are on record."""
    day = max(published_dates(log_rows()))  # a rerun: trend checks make silver.fact_orders audited again
    release, spec, spark = last_release(), table("silver.fact_orders"), get_spark()
    assert release is not None
    rows = published_rows_of(spark, spec, release, day)
    figure = rows.selectExpr("count(*)", "sum(total_price)").first()
    assert figure is not None
    orders, revenue = figure
    quiet = gate.trend_checks(day, generated_history(day, {"row_count": float(orders),
                                                              "sum(total_price)": float(revenue)}, 0.05, "quiet"))
    monkeypatch.setattr(gate, "trend_checks", lambda *_: quiet)
    with pytest.raises(QualityGateError, match=f'rainforest run --date {day} --accept-trend "REASON"') as failure:
        rainforest_daily(run_date=day)
    assert failure.value.table == "silver.fact_orders"

    rainforest_daily(run_date=day, accept_trend="launch-day sale")
    accepted = last_release()
    assert accepted is not None and accepted.run_date == day
    reasons = {row["accepted_trend"] for row in log_rows() if row["run_id"] == accepted.run_id
               and row["state"] == "intent"}
    assert len(reasons) == 1 and reasons.pop().startswith("launch-day sale (accepted by ")
    recorded = dq_history.history(["silver.fact_orders"], complete_runs(log_rows()), day, 1)
    assert {row["check_name"]: row["outcome"] for row in recorded if row["check_name"].startswith("trend ")} == {
        "trend row_count": gate.ACCEPTED, "trend sum(total_price)": gate.ACCEPTED}

    duplicated = rows.unionByName(rows.limit(1))
    outcome = gate.scan(spark, spec, lambda _: duplicated, "trend_test/accepted", quiet["silver.fact_orders"],
                        accept_trend="not for business rules")
    assert not outcome.passed and "duplicate_count(order_id) = 0: fail (value 1)" in outcome.failures
    assert not [line for line in outcome.failures if line.startswith("trend ")]  # those were accepted
