"""The publish step: fast-forward main to the run branch for every table, record it, clean old branches."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

from pyspark.sql import DataFrame, SparkSession

from tables import lake, quality
from tables.engine import (CATALOG, META_NAMESPACE, TableResult, date_partition_column, log, on_dates, qualified,
                           table_exists)
from tables.registry import all_tables
from tables.spec import RunContext, TableSpec, utc_stamp

PUBLISH_LOG = f"{META_NAMESPACE}.publish_log"
PUBLISH_LOG_SCHEMA = ("run_date date, branch string, published_at timestamp, table_name string, "
                      "snapshot_id bigint, total_rows bigint, checks_passed int, checks_failed int, checks string")


def drop_run_branches(spark: SparkSession, table: str) -> None:
    for branch in (name for name in lake.branch_heads(table) if name.startswith("run_")):
        spark.sql(f"ALTER TABLE {qualified(table)} DROP BRANCH IF EXISTS {branch}")


def publish(spark: SparkSession, results: list[TableResult], ctx: RunContext) -> None:
    """In dependency order (`results` is), fast-forward main, then drop this and older run branches: a
    successful run cleans branches that failed runs kept for inspection."""
    for result in results:
        spark.sql(f"CALL {CATALOG}.system.fast_forward('{result.table}', 'main', '{ctx.branch}')")
        drop_run_branches(spark, result.table)
        log(f"published {result.table} (snapshot {result.snapshot_id})")
    record(spark, results, ctx)


def record(spark: SparkSession, results: list[TableResult], ctx: RunContext) -> None:
    """Append the run to the publish log, so any report can be traced to the run that produced it."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = [(ctx.run_date, ctx.branch, now, r.table, r.snapshot_id, r.total_rows,
             sum(c["outcome"] == "pass" for c in r.checks), sum(c["outcome"] != "pass" for c in r.checks),
             json.dumps(r.checks, default=str)) for r in results]
    frame = spark.createDataFrame(rows, PUBLISH_LOG_SCHEMA)
    if spark.catalog.tableExists(qualified(PUBLISH_LOG)):
        frame.writeTo(qualified(PUBLISH_LOG)).append()
    else:
        frame.writeTo(qualified(PUBLISH_LOG)).create()


def published_rows_of(spark: SparkSession, spec: TableSpec, run_date: date) -> DataFrame:
    """A table's published rows for one date when it is partitioned by date, else the whole table."""
    frame = spark.table(qualified(spec.identifier))
    column = date_partition_column(spec)
    return on_dates(frame, column, [run_date]) if column else frame


def scan_published(spark: SparkSession, run_date: date) -> list[quality.ScanOutcome]:
    """Soda checks of every checked table on what main holds for `run_date` (no gate: a report)."""
    outcomes = []
    for spec in all_tables():
        if not quality.checks_file(spec.layer, spec.name).exists() or not table_exists(spark, spec.identifier):
            continue
        references = {name.split(".")[1]: spark.table(qualified(name)) for name in spec.check_references}
        outcomes.append(quality.scan(spark, spec.layer, spec.name, published_rows_of(spark, spec, run_date),
                                     f"published_{run_date:%Y%m%d}/{utc_stamp()}", references))
    return outcomes
