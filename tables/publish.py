"""Publishing a run as one step readers see whole, and the publish log that pins what they read.

Iceberg commits one table at a time (the REST multi-table `transactions/commit` is optional and SeaweedFS's
atomicity for it unverified; a half-applied publish must be recoverable anyway: README "Publish"). So a
publish is: (1) append the *intent* — every table with the snapshot it audited — to `meta.publish_log` (one
atomic commit); (2) move each table's main to its snapshot and drop its run branches (one commit per table;
the tables side by side, in waves that follow their dependencies); (3) append a *complete* row. Readers resolve
tables through the last complete publish, so a kill between (1) and (3) shows them the previous publish, whole;
the next run completes the interrupted one before anything else (every table in it passed its audit), so
nothing it extracted is lost.
"""

from __future__ import annotations

import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pyarrow as pa
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot
from pyspark.sql import DataFrame, SparkSession

from infra.errors import RainforestError
from infra.settings import settings
from tables import dq_history, lake, quality
from tables.dates import date_partition_column, on_dates
from tables.registry import all_tables
from tables.runner import TableResult
from tables.spark import qualified
from tables.spec import RunContext, TableSpec, utc_stamp
from tables.table_state import META_NAMESPACE, meta_table

logger = logging.getLogger(__name__)

PUBLISH_LOG = f"{META_NAMESPACE}.publish_log"
INTENT, COMPLETE = "intent", "complete"
PUBLISH_THREADS = 8  # table commits in flight at once: REST round trips, mostly waiting
LOG_SCHEMA = pa.schema([
    pa.field("run_id", pa.string()), pa.field("run_date", pa.date32()), pa.field("state", pa.string()),
    pa.field("published_at", pa.timestamp("us")), pa.field("table_name", pa.string()),
    pa.field("snapshot_id", pa.int64()), pa.field("total_rows", pa.int64()),
    pa.field("checks_passed", pa.int32()), pa.field("checks_failed", pa.int32()), pa.field("checks", pa.string()),
])


@dataclass(frozen=True)
class Release:
    """One publish: the run, its date and every table's snapshot."""

    run_id: str
    run_date: date
    snapshots: dict[str, int]


def pause_point(name: str) -> None:
    """Fault injection for the crash tests: when RAINFOREST_PAUSE_AT names this point, the process says so in
    a marker file and waits there to be killed (a real SIGKILL at a known step)."""
    if os.environ.get("RAINFOREST_PAUSE_AT") != name:
        return
    marker = Path(os.environ.get("RAINFOREST_PAUSE_MARKER", str(settings().home / "paused")))
    marker.write_text(f"{os.getpid()} {name}\n")
    while True:
        time.sleep(60)


@dataclass(frozen=True)
class LogRead:
    """The publish log's rows at one snapshot of it (snapshots never change, so these rows stay right)."""

    table_uuid: UUID
    snapshot_id: int
    rows: list[dict[str, Any]]

    def of(self, table: Table, snapshot: Snapshot | None) -> bool:
        return snapshot is not None and (self.table_uuid, self.snapshot_id) == (table.metadata.table_uuid,
                                                                                snapshot.snapshot_id)


_last_log_read: LogRead | None = None


def log_rows() -> list[dict[str, Any]]:
    """Every row of the publish log. A run asks several times (its start, restatements, the run report) and the
    log only grows, so the last read is kept and extended by this process's own appends: one whole read per
    process instead of one per question."""
    global _last_log_read
    try:
        table = lake.thread_catalog().load_table(PUBLISH_LOG)
    except NoSuchTableError:
        return []
    snapshot = table.current_snapshot()
    if snapshot is None:
        return []
    known = _last_log_read
    if known is None or not known.of(table, snapshot):
        rows = table.scan(snapshot_id=snapshot.snapshot_id).to_arrow().to_pylist()
        known = _last_log_read = LogRead(table.metadata.table_uuid, snapshot.snapshot_id, rows)
    return list(known.rows)


def append_log(rows: list[dict[str, Any]]) -> None:
    global _last_log_read
    table = meta_table(PUBLISH_LOG, LOG_SCHEMA)
    if set(LOG_SCHEMA.names) - set(table.schema().column_names):  # a log written before the publish protocol
        with table.update_schema() as update:
            update.union_by_name(LOG_SCHEMA)
    before, appended = table.current_snapshot(), pa.Table.from_pylist(rows, schema=LOG_SCHEMA)
    table.append(appended)
    known, after = _last_log_read, table.current_snapshot()
    if (known is not None and known.of(table, before)
            and after is not None and after.parent_snapshot_id == known.snapshot_id):  # nobody else appended
        _last_log_read = LogRead(known.table_uuid, after.snapshot_id, [*known.rows, *appended.to_pylist()])


def releases(rows: list[dict[str, Any]], state: str) -> list[Release]:
    """Publishes in the order they were recorded, with the rows of one state."""
    found: dict[str, Release] = {}
    for row in sorted(rows, key=lambda r: r["published_at"]):
        if row["state"] != state:
            continue
        release = found.setdefault(row["run_id"], Release(row["run_id"], row["run_date"], {}))
        if row["table_name"] is not None:
            release.snapshots[row["table_name"]] = row["snapshot_id"]
    return list(found.values())


def last_release(rows: list[dict[str, Any]] | None = None) -> Release | None:
    """The last complete publish: what readers see."""
    rows = log_rows() if rows is None else rows
    complete = {release.run_id for release in releases(rows, COMPLETE)}
    done = [release for release in releases(rows, INTENT) if release.run_id in complete]
    return done[-1] if done else None


def interrupted(rows: list[dict[str, Any]]) -> Release | None:
    """A publish whose intent was recorded but which never completed (its process died)."""
    complete = {release.run_id for release in releases(rows, COMPLETE)}
    pending = [release for release in releases(rows, INTENT) if release.run_id not in complete]
    return pending[-1] if pending else None


def complete_runs(rows: list[dict[str, Any]]) -> dict[str, date]:
    """Run id → date of every complete publish, in publish order."""
    return {release.run_id: release.run_date for release in releases(rows, COMPLETE)}


def published_dates(rows: list[dict[str, Any]]) -> set[date]:
    return {release.run_date for release in releases(rows, COMPLETE)}


def dates_to_catch_up(run_date: date, rows: list[dict[str, Any]]) -> list[date]:
    """Dates after the last published one and before `run_date`: a run never publishes over a hole."""
    dates = published_dates(rows)
    if not dates or run_date <= max(dates):
        return []
    last = max(dates)
    return [last + timedelta(days=n) for n in range(1, (run_date - last).days)]


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def publish(results: list[TableResult], ctx: RunContext) -> None:
    """Record the run's checks (quality history) and the intent (every table → its audited snapshot) in one
    commit each, then complete it."""
    dq_history.record(results, ctx)
    at = now()
    append_log([{"run_id": ctx.branch, "run_date": ctx.run_date, "state": INTENT, "published_at": at,
                 "table_name": r.table, "snapshot_id": r.snapshot_id, "total_rows": r.total_rows,
                 "checks_passed": sum(c["outcome"] == "pass" for c in r.checks),
                 "checks_failed": sum(c["outcome"] == "fail" for c in r.checks),
                 "checks": json.dumps(r.checks, default=str)} for r in results])
    complete(Release(ctx.branch, ctx.run_date, {r.table: r.snapshot_id for r in results}))


def dependency_waves(identifiers: list[str]) -> list[list[str]]:
    """The tables in waves, each table in a wave after every table it reads (so no main runs ahead of its
    inputs' mains); a table the registry no longer declares goes first."""
    depth: dict[str, int] = {}
    for spec in all_tables():  # upstream before downstream
        depth[spec.identifier] = 1 + max((depth[name] for name in spec.upstream), default=0)
    waves: dict[int, list[str]] = {}
    for identifier in identifiers:
        waves.setdefault(depth.get(identifier, 0), []).append(identifier)
    return [waves[level] for level in sorted(waves)]


def publish_table(identifier: str, snapshot_id: int) -> None:
    if lake.move_main(identifier, snapshot_id, drop_prefix="run_"):
        logger.info("published %s (snapshot %d)", identifier, snapshot_id)
    pause_point(f"published:{identifier}")


def complete(release: Release) -> None:
    """Move every main and drop the table's run branches (one commit per table), wave by wave in dependency
    order with the tables of a wave side by side, then mark the publish complete. Only one writer runs at a
    time, so every other run branch belongs to a finished or abandoned run."""
    with ThreadPoolExecutor(PUBLISH_THREADS, thread_name_prefix="publish") as pool:
        for wave in dependency_waves(list(release.snapshots)):
            moves = [pool.submit(publish_table, name, release.snapshots[name]) for name in wave]
            for move in moves:
                move.result()  # a failed move stops the publish before the next wave; the next run resumes it
    append_log([{"run_id": release.run_id, "run_date": release.run_date, "state": COMPLETE,
                 "published_at": now(), "table_name": None, "snapshot_id": None, "total_rows": None,
                 "checks_passed": None, "checks_failed": None, "checks": None}])


def resume_interrupted() -> Release | None:
    """Complete a publish a killed process left half done (its tables had all passed their audits)."""
    release = interrupted(log_rows())
    if release is not None:
        logger.info("completing the interrupted publish of %s (%s)", release.run_date, release.run_id)
        complete(release)
    return release


def published_rows_of(spark: SparkSession, spec: TableSpec, release: Release, run_date: date) -> DataFrame:
    """A table as a publish left it: its rows for one date when it is partitioned by date, else all."""
    frame = spark.sql(f"SELECT * FROM {qualified(spec.identifier)} VERSION AS OF {release.snapshots[spec.identifier]}")
    column = date_partition_column(spec)
    return on_dates(frame, column, [run_date]) if column else frame


def scan_published(spark: SparkSession, run_date: date) -> list[quality.ScanOutcome]:
    """Soda checks of every checked table on what the last publish holds for `run_date` (no gate: a report)."""
    release = last_release()
    if release is None:
        raise RainforestError("nothing is published yet; run `rainforest run --date …` first")
    outcomes = []
    for spec in all_tables():
        if not spec.audited or spec.identifier not in release.snapshots:
            continue
        outcomes.append(quality.scan(spark, spec, lambda table: published_rows_of(spark, table, release, run_date),
                                     f"published_{run_date:%Y%m%d}/{utc_stamp()}"))
    return outcomes
