"""Range runs (catch-ups and backfills that take consecutive unpublished dates together) on their own upstream
database: the same dates built day by day on one lake and as a range on another give the same tables, late
commits included; a date whose trend checks fail in the middle of a range stops it there, the dates before it
published, that date and the rest not; a range SIGKILLed while it publishes is completed, every date, by the
next run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from datagen.generate import generate
from flows.daily import rainforest_backfill, rainforest_daily
from infra.errors import RunFailedError
from infra.settings import settings
from tables.engine.lake import catalog, purge_all_tables
from tables.publish.protocol import (
    complete_runs,
    interrupted,
    interrupted_dates,
    last_release,
    log_rows,
    published_dates,
)
from tables.quality.dq_history import history
from tables.read.reports import report_rows
from tables.registry import all_tables

from . import stop_at
from .conftest import expected, own_upstream_and_lake, pg_execute, pg_rows, table_contents
from .test_publish_crash_safety import RAINFOREST, Run, kill_when_paused, output_of

pytestmark = pytest.mark.integration
R = {number: date(2026, 9, number) for number in range(1, 13)}
ORDERS_PER_DAY = 60
LATE_ORDER = ("INSERT INTO rainforest.orders VALUES (990000011, 1, '2026-09-01 20:00', 12.00, '2026-09-01 20:00')",
              "INSERT INTO rainforest.orderitem VALUES (990000012, 990000011, 5, (SELECT min(seller_id) FROM "
              "rainforest.sellerproduct WHERE product_id = 5), 1, 12.00, 2.40, '2026-09-01 20:00')",
              "INSERT INTO rainforest.ratings VALUES (990000013, 3, 4.0, '2026-09-01 20:00', '2026-09-03 08:00')",
              "INSERT INTO rainforest.clickstream VALUES (990000014, 1, 'purchase', 5, 990000011, '2026-09-01 20:00', "
              "NULL, '2026-09-01 20:00')")
LATE_GONE = ("DELETE FROM rainforest.clickstream WHERE event_id = 990000014",
             "DELETE FROM rainforest.orderitem WHERE order_item_id = 990000012",
             "DELETE FROM rainforest.orders WHERE order_id = 990000011",
             "DELETE FROM rainforest.ratings WHERE ratings_id = 990000013")


@pytest.fixture(scope="module")
def fresh(prefect: None) -> Iterator[None]:
    """This module's own upstream database (ten days of September) and lake, both empty at its start."""
    with own_upstream_and_lake("timeline"):
        generate(R[1], 8, ORDERS_PER_DAY, seed=5)
        generate(R[9], 1, 5, seed=5)  # a dip: a tenth of the usual orders
        generate(R[10], 1, ORDERS_PER_DAY, seed=5)
        yield


def backfill(start: date, end: date, range_days: int) -> None:
    """`rainforest backfill` with RAINFOREST_RANGE_DAYS set (1: one run per date)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAINFOREST_RANGE_DAYS", str(range_days))
        settings.cache_clear()
        try:
            rainforest_backfill(start, end)
        finally:
            settings.cache_clear()


def lake_contents() -> dict[str, list[dict]]:
    """Every modelled table as main holds it; of a bronze table read whole, its copy at the last date (a range
    run writes that one copy, the current state, where day by day writes one per date)."""
    contents = {}
    for spec in all_tables():
        rows = table_contents(spec.identifier)
        if spec.source is not None and not spec.source.window_columns:
            rows = [row for row in rows if row["_run_date"] == R[4]]
        contents[spec.identifier] = rows
    return contents


def trend_values() -> set[tuple]:
    rows = history([spec.identifier for spec in all_tables() if spec.trend], complete_runs(log_rows()), R[4], 4)
    return {(row["run_date"], row["table_name"], row["check_name"], row["value"]) for row in rows
            if row["check_name"].startswith("trend ")}


def assert_reports_equal_the_oracle(until: date) -> None:
    for report in ("orders", "categories"):
        assert report_rows(report, R[1], R[12]) == expected(report, until), report


def test_a_range_builds_what_day_by_day_builds_late_commits_included(fresh: None) -> None:
    """An order, its item, its purchase event and a rating stamped on the 1st commit after the 1st was published
    (late), the rating edited on the 3rd: the 2nd takes them (the rating again on the 3rd), whether the 2nd to the
    4th run one by one or together."""
    pg_execute(*LATE_GONE)
    backfill(R[1], R[1], 1)
    pg_execute(*LATE_ORDER)
    backfill(R[2], R[4], 1)
    day_by_day, day_by_day_trends = lake_contents(), trend_values()
    assert {R[1], R[2], R[3], R[4]} <= published_dates(log_rows())

    purge_all_tables()
    pg_execute(*LATE_GONE)
    backfill(R[1], R[1], 30)
    pg_execute(*LATE_ORDER)  # committed after the 1st's publish again: late for the range too
    backfill(R[2], R[4], 30)
    log = log_rows()
    assert {R[1], R[2], R[3], R[4]} <= published_dates(log)
    assert len({row["sequence"] for row in log if row["state"] == "intent" and row["run_date"] != R[1]}) == 1
    ranged = lake_contents()
    assert [name for name in ranged if ranged[name] != day_by_day[name]] == []
    assert {row["_run_date"] for row in ranged["bronze.ratings"] if row["ratings_id"] == 990000013} == {R[2], R[3]}
    assert [row["event_ts"].date() for row in ranged["silver.fact_clickstream"] if row["event_id"] == 990000014] \
        == [R[1]]  # merged into its own date (a MERGE of late rows on Spark 4.1: SPARK-57539)
    assert trend_values() == day_by_day_trends
    assert_reports_equal_the_oracle(R[4])


def test_a_date_failing_its_trend_checks_stops_the_range_there(fresh: None) -> None:
    """The 9th has a tenth of the usual orders: the catch-up from the 5th to the 10th publishes the 5th to the
    8th and stops at the 9th, naming the command that accepts it."""
    with pytest.raises(RunFailedError, match=r"(?s)stopped at 2026-09-09.*backfill --start 2026-09-09 --end "
                                             r"2026-09-10.*--accept-trend"):
        rainforest_backfill(R[5], R[10])
    published = published_dates(log_rows())
    assert {R[5], R[6], R[7], R[8]} <= published and not {R[9], R[10]} & published
    assert_reports_equal_the_oracle(R[8])
    (orders,), = pg_rows("SELECT count(*) FROM rainforest.orders WHERE order_ts >= %s AND order_ts < %s",
                         (R[8], R[8] + timedelta(days=1)))
    measured = history(["silver.fact_orders"], complete_runs(log_rows()), R[8], 1)
    assert ("trend row_count", orders) in {(row["check_name"], row["value"]) for row in measured}
    assert catalog().table_exists("interface.daily_order_report")


def test_a_range_killed_while_publishing_is_completed_every_date_by_the_next_run(fresh: None) -> None:
    """The dip of the 9th accepted, the 10th to the 12th run as one range, SIGKILLed (with its JVM) between two
    gold fast-forwards: readers keep the 9th's publish; the next run completes the publish of all three dates."""
    rainforest_daily(run_date=R[9], accept_trend="a test's dip")
    generate(R[11], 2, ORDERS_PER_DAY, seed=5)
    reports, release = (report_rows("orders", R[1], R[12]), report_rows("categories", R[1], R[12])), last_release()
    point = "published:gold.daily_product_revenue"
    marker = settings().home / "paused"
    marker.unlink(missing_ok=True)
    backfill = Run(stop_at.command(["backfill", "--start", str(R[10]), "--end", str(R[12])], point, marker))
    kill_when_paused(backfill, point)
    assert [day.run_date for day in interrupted_dates(log_rows())] == [R[10], R[11], R[12]]
    assert (report_rows("orders", R[1], R[12]), report_rows("categories", R[1], R[12])) == reports
    assert last_release() == release
    rerun = Run([RAINFOREST, "run", "--date", str(R[12])])
    output = output_of(rerun)
    assert rerun.returncode == 0, output[-4000:]
    assert "completed the publish of 2026-09-12 that a killed run left half done" in output
    assert interrupted(log_rows()) is None and {R[10], R[11], R[12]} <= published_dates(log_rows())
    assert_reports_equal_the_oracle(R[12])
