"""Publishes are ordered by the log's sequence numbers, not by the clocks of the hosts that wrote them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tables.engine.results import TableResult
from tables.publish.protocol import (
    COMPLETE,
    INTENT,
    UPKEEP,
    last_release,
    last_upstream_fingerprint,
    last_upstream_snapshot,
    published_dates,
    releases,
    right_after_published,
    unchanged_rows,
)
from tables.spec import RunContext


def row(run_id: str, state: str, sequence: int | None, at: datetime, table: str | None = None,
        upstream: str | None = None) -> dict[str, object]:
    return {"run_id": run_id, "run_date": date(2026, 11, 3), "state": state, "published_at": at,
            "table_name": table, "snapshot_id": 1 if table else None, "sequence": sequence,
            "upstream_snapshot": upstream}


def test_a_later_publish_from_a_host_whose_clock_is_behind_is_still_the_last() -> None:
    rows = [row("first", INTENT, 1, datetime(2026, 11, 4, 6), "silver.fact_orders", "10:12:"),
            row("first", COMPLETE, 2, datetime(2026, 11, 4, 6)),
            row("second", INTENT, 3, datetime(2026, 11, 4, 5), "silver.fact_orders", "20:25:21"),
            row("second", COMPLETE, 4, datetime(2026, 11, 4, 5)),
            row("upkeep_x", UPKEEP, 5, datetime(2026, 11, 4, 7))]
    assert [release.run_id for release in releases(rows, COMPLETE)] == ["first", "second"]
    release = last_release(rows)
    assert release is not None and release.run_id == "second"
    assert last_upstream_snapshot(rows) == "20:25:21"


def test_rows_of_an_earlier_version_without_a_sequence_come_first_by_time() -> None:
    rows = [row("new", INTENT, 1, datetime(2026, 11, 1), "gold.x"), row("new", COMPLETE, 2, datetime(2026, 11, 1)),
            row("old", INTENT, None, datetime(2026, 11, 2), "gold.x"),
            row("old", COMPLETE, None, datetime(2026, 11, 2))]
    release = last_release(rows)
    assert release is not None and release.run_id == "new"
    assert last_upstream_snapshot(rows) == ""


def test_dates_published_unchanged_in_one_append_come_in_date_order_after_the_last_run() -> None:
    day = date(2026, 11, 3)
    rows = [row("run", INTENT, 1, datetime(2026, 11, 4), "silver.fact_orders", "10:12:"),
            row("run", COMPLETE, 2, datetime(2026, 11, 4))]
    quiet = [RunContext(day + timedelta(days=n), incremental=True, upstream_snapshot="30:31:",
                        upstream_fingerprint="f1") for n in (1, 2, 3)]
    kept = [TableResult("silver.fact_orders", 7, 100, 0.0, [], unchanged=True)]
    rows += [{**logged, "sequence": 3} for logged in unchanged_rows(kept, quiet, datetime(2026, 11, 5))]
    release = last_release(rows)
    assert release is not None and (release.run_date, release.snapshots) == (date(2026, 11, 6),
                                                                              {"silver.fact_orders": 7})
    assert [done.run_date for done in releases(rows, COMPLETE)][1:] == [ctx.run_date for ctx in quiet]
    assert published_dates(rows) == {day, *(ctx.run_date for ctx in quiet)}
    assert (last_upstream_snapshot(rows), last_upstream_fingerprint(rows)) == ("30:31:", "f1")


def test_only_the_dates_right_after_the_last_published_one_and_each_other_go_together() -> None:
    published = {date(2026, 11, 1), date(2026, 11, 3)}
    waiting = [date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 7), date(2026, 11, 8)]
    assert right_after_published(waiting, published) == [date(2026, 11, 4), date(2026, 11, 5)]
    assert right_after_published(waiting[1:], published) == []  # 4 Nov is missing: a hole comes first
    assert right_after_published(waiting, set()) == []  # a first publish is a full load, alone
