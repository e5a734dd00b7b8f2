"""A range run's pure pieces: its dates and branch, the bronze copies of what it extracted (one per date a run
of that date alone would have taken the row on), and the log rows of a range killed before it completed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pyspark.sql import SparkSession

from tables.engine.extract import LATE, window_condition
from tables.engine.runner import with_ingestion_columns
from tables.publish.protocol import COMPLETE, INTENT, interrupted, interrupted_dates
from tables.spec import RunContext, Source

FIRST, LAST = date(2026, 11, 2), date(2026, 11, 4)
RANGE = RunContext(LAST, incremental=True, first_date=FIRST, started_at="20261105T010000Z", attempt="abc123")


def test_a_range_is_its_dates_in_order_and_each_date_is_logged_as_a_run_of_its_own() -> None:
    assert RANGE.dates == [FIRST, date(2026, 11, 3), LAST] and RANGE.is_range
    assert RANGE.branch == "run_20261102_to_20261104_20261105t010000z_abc123"
    assert RANGE.of_date(FIRST).branch == "run_20261102_20261105t010000z_abc123"
    assert not RunContext(LAST, first_date=LAST).is_range
    assert window_condition(("created_ts",), "created_ts", RANGE) == \
        "(created_ts >= '2026-11-02' AND created_ts < '2026-11-05')"


def test_bronze_keeps_a_copy_of_a_row_for_each_date_a_run_of_its_own_would_have_extracted_it(
        spark: SparkSession) -> None:
    def ts(day: int, hour: int = 12) -> datetime:
        return datetime(2026, 11, day, hour)

    rows = [(1, ts(2), ts(2), False),  # created and last updated on the first date
            (2, ts(2), ts(4), False),  # created on the first date, edited on the last
            (3, ts(1), ts(3), True),  # committed late: created before the range, edited in it
            (4, ts(1), ts(1), True),  # committed late, nothing in the range
            (5, ts(3), ts(5, 1), False)]  # edited after the range (its current version is extracted)
    extracted = spark.createDataFrame(rows, f"id int, created_ts timestamp, last_updated_ts timestamp, {LATE} boolean")
    source = Source("ratings", ("created_ts", "last_updated_ts"))
    copies = with_ingestion_columns(extracted, source, RANGE)
    assert LATE not in copies.columns
    assert sorted((row.id, row._run_date) for row in copies.collect()) == [
        (1, FIRST), (2, FIRST), (2, LAST), (3, FIRST), (3, date(2026, 11, 3)), (4, FIRST), (5, date(2026, 11, 3))]
    reference = spark.createDataFrame([(1, "Books")], "category_id int, name string")
    assert [row._run_date for row in with_ingestion_columns(reference, Source("category"), RANGE).collect()] == [LAST]


def row(run_id: str, day: date, state: str, sequence: int) -> dict[str, object]:
    return {"run_id": run_id, "run_date": day, "state": state, "published_at": datetime(2026, 11, 5),
            "table_name": "silver.fact_orders" if state == INTENT else None, "snapshot_id": 9, "sequence": sequence}


def test_a_range_killed_before_it_completed_leaves_every_date_to_complete() -> None:
    before = [row("run_1101", date(2026, 11, 1), INTENT, 1), row("run_1101", date(2026, 11, 1), COMPLETE, 2)]
    dates = [FIRST + timedelta(days=n) for n in range(3)]
    killed = [row(f"run_{day:%m%d}", day, INTENT, 3) for day in dates]
    assert [release.run_date for release in interrupted_dates(before + killed)] == dates
    last = interrupted(before + killed)
    assert last is not None and last.run_date == LAST
    assert interrupted_dates(before) == []
