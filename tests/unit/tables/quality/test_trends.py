"""Trend checks: the expected range from a generated history, and Soda's verdict on a normal and a collapsed day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from infra.settings import settings
from tables.quality import gate, trends
from tables.registry import all_tables, table
from tables.spec import TrendRule

RUN_DATE = date(2026, 10, 29)
RULE = TrendRule(date="order_date", metrics=("row_count", "sum(total_price)"))
# four weeks of a shop with about 2,000 orders a day, one closed day and one busy day among them
ORDERS = [2000 + (day * 37) % 300 - 150 for day in range(26)] + [0, 6000]


def test_the_expected_range_is_robust_to_odd_days_and_ignores_closed_ones() -> None:
    expected = trends.expected(ORDERS, RULE)
    assert expected is not None
    assert expected.days == 27  # the closed day is not a usual one
    assert 1950 <= expected.median <= 2050  # the busy day does not move the median
    assert expected.warn_low < 1850 and expected.warn_high > 2150  # a usual day does not warn
    assert expected.fail_low == pytest.approx(0.15 * expected.median)
    assert expected.fail_high == pytest.approx(10 * expected.median)


def test_a_steady_history_still_allows_ten_percent_either_way() -> None:
    expected = trends.expected([1000.0] * 10, RULE)
    assert expected is not None
    assert (expected.warn_low, expected.warn_high) == (600.0, 1400.0)  # 4 × 10% of the median


def test_too_little_history_only_measures() -> None:
    assert trends.expected([2000.0] * 6 + [0.0] * 10, RULE) is None
    sodacl = trends.sodacl(table("silver.fact_orders"), RULE, RUN_DATE, {"row_count": None, "sum(total_price)": None})
    assert "fail:" not in sodacl and sodacl.count("warn: when < 0") == 2


def test_the_facts_declare_their_rule_and_their_yaml_is_only_sodacl() -> None:
    assert table("silver.fact_orders").trend == TrendRule("order_date", ("row_count", "sum(total_price)"), 28, 7, 4,
                                                          0.15, 10)
    assert {spec.identifier for spec in all_tables() if spec.trend} == {
        "silver.fact_orders", "silver.fact_order_items", "silver.fact_clickstream"}
    assert "trends for" not in gate.table_checks(table("silver.fact_orders"))


@pytest.fixture()
def reports_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RAINFOREST_REPORTS_DIR", str(tmp_path))
    settings.cache_clear()
    yield tmp_path
    settings.cache_clear()


def orders_on(spark: SparkSession, count: int) -> DataFrame:
    rows = [(n, 1, None, RUN_DATE, Decimal("40.00"), None) for n in range(count)]
    rows.append((count, 1, None, date(2026, 10, 28), Decimal("40.00"), None))  # a late row of the day before
    return spark.createDataFrame(rows, "order_id long, buyer_id long, order_ts timestamp, order_date date, "
                                       "total_price decimal(14,2), created_ts timestamp")


def scan_day(spark: SparkSession, count: int) -> gate.ScanOutcome:
    """Soda on a run date with `count` orders, against a history of about 100 orders (and 4,000 USD) a day."""
    spec = table("silver.fact_orders")
    bounds = {"row_count": trends.expected([100.0 + day % 7 for day in range(28)], RULE),
              "sum(total_price)": trends.expected([4000.0 + 40 * (day % 7) for day in range(28)], RULE)}
    frame = orders_on(spark, count).withColumn("order_ts", F.lit(datetime(2026, 10, 29, 10)))
    return gate.scan(spark, spec, lambda _: frame, "trend_test", trends.sodacl(spec, RULE, RUN_DATE, bounds))


def trend_outcomes(outcome: gate.ScanOutcome) -> dict[str, object]:
    return {str(c["check"]): c["outcome"] for c in outcome.checks if str(c["check"]).startswith("trend ")}


def test_a_normal_day_passes(spark: SparkSession, reports_dir: Path) -> None:
    outcome = scan_day(spark, 103)
    assert outcome.passed, outcome.failures
    assert trend_outcomes(outcome) == {"trend row_count": "pass", "trend sum(total_price)": "pass"}


def test_a_collapsed_day_fails_naming_the_metric_its_value_and_the_expected_range(
        spark: SparkSession, reports_dir: Path) -> None:
    outcome = scan_day(spark, 10)
    assert not outcome.passed
    assert trend_outcomes(outcome) == {"trend row_count": "fail", "trend sum(total_price)": "fail"}
    assert "trend row_count: 10 on the run date, expected 61.80 to 144.20 (gate: 15.45 to 1,030)" in outcome.failures
    with pytest.raises(Exception, match="trend sum\\(total_price\\): 400 on the run date, expected 2,472 to 5,768"):
        gate.gate(outcome, "run_x")


def test_a_closed_day_publishes_with_a_warning(spark: SparkSession, reports_dir: Path) -> None:
    outcome = scan_day(spark, 0)
    assert outcome.passed, outcome.failures
    assert trend_outcomes(outcome)["trend row_count"] == "warn"


def history_rows(metric: str, values: list[float], before: date) -> list[dict[str, object]]:
    """Quality history of silver.fact_orders: `values` on the dates just before `before`, oldest first."""
    return [{"table_name": "silver.fact_orders", "check_name": trends.check_name(metric), "run_date": day,
             "value": value} for day, value in zip((before - timedelta(days=len(values) - n) for n in
                                                    range(len(values))), values, strict=True)]


@pytest.mark.parametrize("count", [103, 60, 10, 0])
def test_a_range_judges_a_date_as_soda_judges_it_in_a_run_of_its_own(spark: SparkSession, reports_dir: Path,
                                                                     count: int) -> None:
    history = (history_rows("row_count", [100.0 + day % 7 for day in range(28)], RUN_DATE)
               + history_rows("sum(total_price)", [4000.0 + 40 * (day % 7) for day in range(28)], RUN_DATE))
    figures = {RUN_DATE: {"row_count": float(count), "sum(total_price)": 40.0 * count if count else None}}
    judged = trends.judged_dates(table("silver.fact_orders"), RULE, figures, [RUN_DATE], history)
    assert {str(check["check"]): check["outcome"] for check in judged.checks[RUN_DATE]} == \
        trend_outcomes(scan_day(spark, count))


def test_a_range_counts_its_earlier_dates_as_history_and_names_the_date_that_fails() -> None:
    first = date(2026, 11, 1)
    dates = [first + timedelta(days=n) for n in range(4)]
    history = history_rows("row_count", [1000.0] * 6, first)  # one date short of the rule's 7
    figures = {dates[0]: {"row_count": 1000.0}, dates[2]: {"row_count": 50.0}, dates[3]: {"row_count": 990.0}}
    rule = TrendRule(date="order_date", metrics=("row_count",))
    judged = trends.judged_dates(table("silver.fact_orders"), rule, figures, dates, history)
    assert [judged.checks[day][0]["outcome"] for day in dates] == ["pass", "warn", "fail", "pass"]
    assert judged.checks[dates[1]][0]["value"] == 0  # no rows: a closed day, it warns
    assert judged.failures == {dates[2]: ["silver.fact_orders: trend row_count: 50 on 2026-11-03, expected 600 to "
                                          "1,400 (gate: 150 to 10,000)"]}
