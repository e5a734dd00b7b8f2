"""The one generic runner: extract → transform → write (on the run branch) → audit (Soda).

Write–audit–publish: every table of a run is written on an Iceberg branch unique to the run attempt;
downstream tables read their inputs from that branch; main only moves in `tables.publish.protocol` once every table
passed.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from tables import registry
from tables.engine import lake, upstream_schema
from tables.engine.dates import Dates, date_partition_column, on_dates, written_dates
from tables.engine.extract import LATE, extract
from tables.engine.plan import Audit, plan_table
from tables.engine.results import TableResult
from tables.engine.scopes import read_input
from tables.engine.spark import on_branch, own_session, table_tag
from tables.engine.table_state import branch_head, changed_this_run, ensure_table
from tables.engine.write_modes import run_window, write
from tables.quality import dq_history, gate
from tables.spec import RunContext, Source, TableSpec, WriteMode

MAIN_READS = 8  # catalog reads in flight at once


class Stopwatch:
    """Seconds spent per named step (a step may be entered several times)."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.phases[phase] = round(self.phases.get(phase, 0.0) + now - self._last, 3)
        self._last = now


def as_main_holds(identifiers: list[str]) -> list[TableResult]:
    """Every table as main holds it, as a run that changed nothing reports it (catalog reads side by side)."""
    with ThreadPoolExecutor(MAIN_READS) as pool:
        heads = list(pool.map(lambda identifier: lake.branch_heads(identifier)["main"], identifiers))
    return [TableResult(identifier, head.snapshot_id, head.total_records, 0.0, [], unchanged=True)
            for identifier, head in zip(identifiers, heads, strict=True)]


def with_ingestion_columns(frame: DataFrame, source: Source, ctx: RunContext) -> DataFrame:
    """`_run_date`, the date of the run that extracted the row, and `_ingested_at`. A range run gives a row of a
    windowed table one copy per date whose run alone would have extracted it: each date one of its window
    columns falls on, and the first date when it came as a late commit; a table read whole, one copy at the
    range's last date (its current state)."""
    ingested = F.current_timestamp().alias("_ingested_at")
    if not ctx.is_range or not source.window_columns:
        return frame.select("*", F.lit(ctx.run_date).alias("_run_date"), ingested)
    first, last = F.lit(ctx.dates[0]), F.lit(ctx.run_date)
    candidates = [F.to_date(column) for column in source.window_columns]
    if LATE in frame.columns:
        candidates.append(F.when(F.col(LATE), first))
    in_range = F.filter(F.array(*candidates), lambda day: day.isNotNull() & day.between(first, last))
    return (frame.select("*", F.explode(F.array_distinct(in_range)).alias("_run_date"), ingested)
            .drop(LATE))


def run_table(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> TableResult:
    """Plan, extract or read, transform, write on the run branch, audit. Raises QualityGateError on failed
    checks."""
    started, started_at, watch = time.monotonic(), time.time(), Stopwatch()
    plan = plan_table(spark, spec, ctx)
    if plan.keep_main:
        lake.create_branch(spec.identifier, ctx.branch)
        head = branch_head(spec.identifier, ctx.branch)
        watch.lap("unchanged")
        return TableResult(spec.identifier, head.snapshot_id, head.total_records, time.monotonic() - started, [],
                           started_at, 0, watch.phases, unchanged=True)
    if spec.source is not None:
        assert plan.extraction is not None
        output = with_ingestion_columns(spec.transform(extract(spark, spec.source, ctx, plan.extraction)),
                                        spec.source, ctx)
    else:
        frames = {param: read_input(spark, item, registry.table(item.table).keys, ctx, plan.dates,
                                    plan.every_version) for param, item in spec.inputs.items()}
        output = spec.transform(**frames)
    watch.lap("plan")
    ensure_table(spark, spec, output)
    if spec.source is not None:
        output = upstream_schema.align(spark, spec, output)
    lake.create_branch(spec.identifier, ctx.branch)
    watch.lap("branch")
    column = date_partition_column(spec)
    written = written_dates(output, column) if spec.write_mode is WriteMode.MERGE and column is not None \
        else plan.dates  # a merge's dates are those of its rows (a late row's too)
    write(spark, spec, output, ctx, written)
    watch.lap("write")
    audited = plan.audit is Audit.ALWAYS or (plan.audit is Audit.IF_WRITTEN and changed_this_run(spec.identifier,
                                                                                                   ctx))
    outcome = audit(spark, spec, ctx, written) if audited else None
    watch.lap("audit")
    head = branch_head(spec.identifier, ctx.branch)
    watch.lap("branch")
    return TableResult(spec.identifier, head.snapshot_id, head.total_records, time.monotonic() - started,
                       outcome.checks if outcome else [], started_at, head.added_records, watch.phases)


def rows_on(spark: SparkSession, spec: TableSpec, ctx: RunContext, dates: Dates) -> DataFrame:
    """A table as the run branch holds it: the run's window for a table that replaces it, those dates when it
    is date-partitioned (so the cost of a scan does not grow with history; earlier dates passed their own runs),
    else whole."""
    frame = spark.table(on_branch(spec.identifier, ctx.branch))
    if spec.write_mode is WriteMode.REPLACE_WINDOW:
        return frame.where(run_window(spec, ctx))
    column = date_partition_column(spec)
    return on_dates(frame, column, dates) if column else frame


def trend_figures(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> dict[date, dict[str, float | None]]:
    """A table's trend metrics on each date of a range run as its branch holds them (one query; a date
    without rows is absent)."""
    rule = spec.trend
    assert rule is not None
    metrics = [F.count(F.lit(1)) if metric == "row_count" else F.expr(metric) for metric in rule.metrics]
    rows = (rows_on(spark, spec, ctx, ctx.dates).groupBy(F.expr(rule.date).alias("_day"))
            .agg(*(figure.alias(f"_metric_{number}") for number, figure in enumerate(metrics)))
            .where(F.col("_day").isin(ctx.dates)).collect())
    return {row["_day"]: {metric: dq_history.numeric(row[f"_metric_{number}"])
                          for number, metric in enumerate(rule.metrics)} for row in rows}


def audit(spark: SparkSession, spec: TableSpec, ctx: RunContext, dates: Dates) -> gate.ScanOutcome:
    """The table's checks on the dates the run wrote (the whole table when it has no date partition);
    tables its checks refer to are read on the same dates. The scan gets a session of its own: its temp views
    are then its own, and the audits of tables that run at once run side by side."""
    with own_session(table_tag(spec.identifier)) as session:
        outcome = gate.scan(session, spec, lambda table: rows_on(session, table, ctx, dates), ctx.reports_label,
                            ctx.trend_checks.get(spec.identifier, ""), ctx.accept_trend)
    gate.gate(outcome, ctx.branch, ctx.run_date)
    return outcome
