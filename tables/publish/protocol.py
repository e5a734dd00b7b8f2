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
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pyarrow as pa
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot
from pyspark.sql import DataFrame, SparkSession

from infra.errors import ConcurrentWriterError, RainforestError
from tables.engine import checkpoints, lake
from tables.engine.dates import date_partition_column, on_dates
from tables.engine.results import TableResult
from tables.engine.spark import qualified
from tables.engine.table_state import META_NAMESPACE, meta_table
from tables.quality import dq_history, gate
from tables.registry import all_tables
from tables.spec import RunContext, TableSpec, utc_stamp

logger = logging.getLogger(__name__)

PUBLISH_LOG = f"{META_NAMESPACE}.publish_log"
INTENT, COMPLETE, UPKEEP = "intent", "complete", "upkeep"
PUBLISH_THREADS = 8  # table commits in flight at once: REST round trips, mostly waiting
LOG_SCHEMA = pa.schema([
    pa.field("run_id", pa.string()), pa.field("run_date", pa.date32()), pa.field("state", pa.string()),
    pa.field("published_at", pa.timestamp("us")), pa.field("table_name", pa.string()),
    pa.field("snapshot_id", pa.int64()), pa.field("total_rows", pa.int64()),
    pa.field("checks_passed", pa.int32()), pa.field("checks_failed", pa.int32()), pa.field("checks", pa.string()),
    pa.field("sequence", pa.int64()),  # the append's position in the log: publishes are ordered by it, not clocks
    pa.field("accepted_trend", pa.string()),  # why failed trend checks were accepted, by whom (`--accept-trend`)
    pa.field("upstream_snapshot", pa.string()),  # what upstream showed the run: the next run takes what came since
    pa.field("upstream_fingerprint", pa.string()),  # the tables read whole as the run extracted them (quiet dates)
])
ANY_SNAPSHOT = -1  # append_log's default: whatever the log holds


@dataclass(frozen=True)
class Release:
    """One publish: the run, its date and every table's snapshot."""

    run_id: str
    run_date: date
    snapshots: dict[str, int]


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
    return log_state()[0]


def log_state() -> tuple[list[dict[str, Any]], int | None]:
    """The publish log's rows and the snapshot they were read at (None: nothing logged yet)."""
    try:
        table = lake.thread_catalog().load_table(PUBLISH_LOG)
    except NoSuchTableError:
        return [], None
    snapshot = table.current_snapshot()
    return rows_at(table, snapshot), None if snapshot is None else snapshot.snapshot_id


def rows_at(table: Table, snapshot: Snapshot | None) -> list[dict[str, Any]]:
    global _last_log_read
    if snapshot is None:
        return []
    known = _last_log_read
    if known is None or not known.of(table, snapshot):
        rows = table.scan(snapshot_id=snapshot.snapshot_id).to_arrow().to_pylist()
        known = _last_log_read = LogRead(table.metadata.table_uuid, snapshot.snapshot_id, rows)
    return list(known.rows)


def append_log(rows: list[dict[str, Any]], expected_snapshot: int | None = ANY_SNAPSHOT) -> None:
    """Append rows as the log's next sequence number. With `expected_snapshot` (the log as the caller's run
    read it when it started), only if nobody appended since: a publish of another writer in between means this
    run built on a lake that is no longer there. The catalog checks the log's snapshot again at the commit."""
    global _last_log_read
    table = meta_table(PUBLISH_LOG, LOG_SCHEMA)
    if set(LOG_SCHEMA.names) - set(table.schema().column_names):  # a log written by an earlier version
        with table.update_schema() as update:
            update.union_by_name(LOG_SCHEMA)
    before = table.current_snapshot()
    found = None if before is None else before.snapshot_id
    if expected_snapshot != ANY_SNAPSHOT and found != expected_snapshot:
        raise ConcurrentWriterError(f"another writer published to the lake since this run started (the publish "
                                    f"log moved from snapshot {expected_snapshot} to {found}): this run "
                                    "published nothing, its branches are kept; run the date again")
    known_rows = rows_at(table, before)
    sequence = 1 + max((row.get("sequence") or 0 for row in known_rows), default=0)
    appended = pa.Table.from_pylist([{**row, "sequence": sequence} for row in rows], schema=LOG_SCHEMA)
    try:
        table.append(appended)
    except CommitFailedException as error:
        raise ConcurrentWriterError(f"another writer appended to the publish log at the same moment ({error}); "
                                    "this append was not made, run the command again") from error
    after = table.current_snapshot()
    if after is not None and after.parent_snapshot_id == found:  # nobody else appended: extend what is known
        _last_log_read = LogRead(table.metadata.table_uuid, after.snapshot_id, [*known_rows, *appended.to_pylist()])


def releases(rows: list[dict[str, Any]], state: str) -> list[Release]:
    """Publishes in the order they were logged (rows of an earlier version, without a sequence number, first
    and by time), with the rows of one state."""
    found: dict[str, Release] = {}
    for row in sorted(rows, key=lambda r: (r.get("sequence") or 0, r["published_at"])):
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


def last_upstream_snapshot(rows: list[dict[str, Any]]) -> str:
    """Upstream's snapshot as the run of the last complete publish saw it ("" before the log recorded it)."""
    return last_release_value(rows, "upstream_snapshot")


def last_upstream_fingerprint(rows: list[dict[str, Any]]) -> str:
    """The fingerprint of the tables read whole that the last complete publish extracted ("" before the log
    recorded it)."""
    return last_release_value(rows, "upstream_fingerprint")


def last_release_value(rows: list[dict[str, Any]], column: str) -> str:
    release = last_release(rows)
    found = [row.get(column) for row in rows if release is not None
             and row["run_id"] == release.run_id and row["state"] == INTENT]
    return next((value for value in found if value), "")


def interrupted(rows: list[dict[str, Any]]) -> Release | None:
    """A publish whose intent was recorded but which never completed (its process died)."""
    pending = interrupted_dates(rows)
    return pending[-1] if pending else None


def interrupted_dates(rows: list[dict[str, Any]]) -> list[Release]:
    """The dates of the last publish that never completed, oldest first (a range run logs several in one
    append, one sequence number)."""
    complete = {release.run_id for release in releases(rows, COMPLETE)}
    pending = [release for release in releases(rows, INTENT) if release.run_id not in complete]
    sequence = {row["run_id"]: row.get("sequence") or 0 for row in rows if row["state"] == INTENT}
    return [release for release in pending if pending and sequence[release.run_id] == sequence[pending[-1].run_id]]


def complete_runs(rows: list[dict[str, Any]]) -> dict[str, date]:
    """Run id → date of every complete publish, in publish order."""
    return {release.run_id: release.run_date for release in releases(rows, COMPLETE)}


def published_dates(rows: list[dict[str, Any]]) -> set[date]:
    return {release.run_date for release in releases(rows, COMPLETE)}


def right_after_published(waiting: list[date], published: set[date]) -> list[date]:
    """The leading waiting dates that follow the last published date one after another (none before a first
    publish): the dates a run may take together, as a range or as quiet dates."""
    following: list[date] = []
    for day in waiting if published else []:
        if day != max(published) + timedelta(days=1 + len(following)):
            break
        following.append(day)
    return following


def dates_to_catch_up(run_date: date, rows: list[dict[str, Any]]) -> list[date]:
    """Dates after the last published one and before `run_date`: a run never publishes over a hole."""
    dates = published_dates(rows)
    if not dates or run_date <= max(dates):
        return []
    last = max(dates)
    return [last + timedelta(days=n) for n in range(1, (run_date - last).days)]


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def publish(results: list[TableResult], ctx: RunContext,
            per_date: Mapping[date, list[TableResult]] | None = None) -> None:
    """Record the run's checks (quality history) and the intent (every table → its audited snapshot) in one
    commit each, then complete it. A range run logs each of its dates as a publish of its own (`per_date`:
    the date's checks), all in the same appends."""
    checkpoints.reached("publishing")
    runs = [(ctx.of_date(day), per_date[day]) for day in ctx.dates] if per_date is not None else [(ctx, results)]
    dq_history.record_runs(runs, ctx.branch)
    logged = any(row["run_id"] == runs[-1][0].branch and row["state"] == INTENT for row in log_rows())
    if not logged:  # a retried publish whose intent went in already goes on to complete it
        at = now()
        append_log([row for position, (run, checked) in enumerate(runs)
                    for row in intent_rows(checked, run, at + timedelta(microseconds=position))], ctx.log_snapshot)
    snapshots = {r.table: r.snapshot_id for r in results}
    complete([Release(run.branch, run.run_date, snapshots) for run, _ in runs])


def intent_rows(results: list[TableResult], ctx: RunContext, at: datetime) -> list[dict[str, Any]]:
    return [{"run_id": ctx.branch, "run_date": ctx.run_date, "state": INTENT, "published_at": at,
             "table_name": r.table, "snapshot_id": r.snapshot_id, "total_rows": r.total_rows,
             "checks_passed": sum(c["outcome"] == "pass" for c in r.checks),
             "checks_failed": sum(c["outcome"] == "fail" for c in r.checks),
             "checks": json.dumps(r.checks, default=str), "accepted_trend": ctx.accept_trend or None,
             "upstream_snapshot": ctx.upstream_snapshot or None,
             "upstream_fingerprint": ctx.upstream_fingerprint or None} for r in results]


def complete_row(run_id: str, run_date: date, at: datetime) -> dict[str, Any]:
    return {"run_id": run_id, "run_date": run_date, "state": COMPLETE, "published_at": at, "table_name": None,
            "snapshot_id": None, "total_rows": None, "checks_passed": None, "checks_failed": None, "checks": None}


def publish_unchanged(results: list[TableResult], runs: list[RunContext], expected_snapshot: int | None) -> None:
    """Dates on which nothing changed (`tables.engine.quiet_dates`): each a publish of the tables as main holds them
    (`results`), their intents and completions in one append (no main moves)."""
    append_log(unchanged_rows(results, runs, now()), expected_snapshot)


def unchanged_rows(results: list[TableResult], runs: list[RunContext], at: datetime) -> list[dict[str, Any]]:
    """The log rows of publishes that move nothing, one per run, in the runs' order (they share one sequence
    number, so their times, a microsecond apart, order them)."""
    rows = []
    for position, ctx in enumerate(runs):
        stamp = at + timedelta(microseconds=position)
        rows += [*intent_rows(results, ctx, stamp), complete_row(ctx.branch, ctx.run_date, stamp)]
    return rows


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
    checkpoints.reached(f"published:{identifier}")


def complete(dates: list[Release]) -> None:
    """Move every main and drop the table's run branches (one commit per table), wave by wave in dependency
    order with the tables of a wave side by side, then mark the publish of every date complete (one append;
    a range run's dates share their snapshots: the last date's). Only one writer runs at a time, so every other
    run branch belongs to a finished or abandoned run."""
    snapshots = dates[-1].snapshots
    with ThreadPoolExecutor(PUBLISH_THREADS, thread_name_prefix="publish") as pool:
        for wave in dependency_waves(list(snapshots)):
            moves = [pool.submit(publish_table, name, snapshots[name]) for name in wave]
            for move in moves:
                move.result()  # a failed move stops the publish before the next wave; the next run resumes it
    at = now()
    append_log([complete_row(release.run_id, release.run_date, at + timedelta(microseconds=position))
                for position, release in enumerate(dates)])


def log_upkeep(what: str, expected_snapshot: int | None = ANY_SNAPSHOT) -> None:
    """A row that table upkeep begins or ended: upkeep moves mains (compaction), so a run elsewhere that started
    before either row fails at its intent instead of publishing over compacted mains."""
    append_log([{"run_id": f"upkeep_{utc_stamp()}", "run_date": now().date(), "state": UPKEEP,
                 "published_at": now(), "table_name": None, "snapshot_id": None, "total_rows": None,
                 "checks_passed": None, "checks_failed": None, "checks": what}], expected_snapshot)


def resume_interrupted() -> Release | None:
    """Complete a publish a killed process left half done (its tables had all passed their audits)."""
    dates = interrupted_dates(log_rows())
    if dates:
        logger.info("completing the interrupted publish of %s (%s)", ", ".join(str(r.run_date) for r in dates),
                    dates[-1].run_id)
        complete(dates)
    return dates[-1] if dates else None


def published_rows_of(spark: SparkSession, spec: TableSpec, release: Release, run_date: date) -> DataFrame:
    """A table as a publish left it: its rows for one date when it is partitioned by date, else all."""
    frame = spark.sql(f"SELECT * FROM {qualified(spec.identifier)} VERSION AS OF {release.snapshots[spec.identifier]}")
    column = date_partition_column(spec)
    return on_dates(frame, column, [run_date]) if column else frame


def scan_published(spark: SparkSession, run_date: date) -> list[gate.ScanOutcome]:
    """Soda checks of every checked table on what the last publish holds for `run_date` (no gate: a report)."""
    release = last_release()
    if release is None:
        raise RainforestError("nothing is published yet; run `rainforest run --date …` first")
    outcomes = []
    for spec in all_tables():
        if not spec.audited or spec.identifier not in release.snapshots:
            continue
        outcomes.append(gate.scan(spark, spec, lambda table: published_rows_of(spark, table, release, run_date),
                                  f"published_{run_date:%Y%m%d}/{utc_stamp()}"))
    return outcomes
