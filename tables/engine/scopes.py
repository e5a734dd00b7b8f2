"""What a derived table reads: its inputs in their scope on the run branch, and the order dates the run touched."""

from __future__ import annotations

import threading
from datetime import date
from functools import lru_cache

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from tables import registry
from tables.engine.dates import Dates
from tables.engine.extract import window_condition
from tables.engine.spark import on_branch, qualified
from tables.engine.table_state import table_exists
from tables.spec import Input, RunContext, Scope, TableSpec


def extracted(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> DataFrame:
    """The bronze rows this run extracted for a fact (its `window_of` table's partitions of the run's dates)."""
    assert spec.window_of is not None
    return spark.table(on_branch(spec.window_of, ctx.branch)).where(of_the_run(ctx))


def of_the_run(ctx: RunContext) -> Column:
    """A bronze table's rows the run extracted (its `_run_date` partitions)."""
    if ctx.is_range:
        return F.col("_run_date").isin(ctx.dates)
    return F.col("_run_date") == F.lit(ctx.run_date)


def dates_of_extracted(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> set[date]:
    touches = spec.touches
    assert touches is not None
    rows = extracted(spark, spec, ctx)
    if touches.date_of is not None:
        return {row.d for row in rows.select(F.to_date(touches.date_of).alias("d")).distinct().collect()}
    assert touches.parent is not None and touches.key is not None
    parent, key = registry.table(touches.parent), touches.key
    # Rows whose parent was extracted too already count through the parent's own dates.
    others = rows.select(key).distinct().join(extracted(spark, parent, ctx).select(key), key, "left_anti")
    bounds = others.agg(F.min(key).alias("low"), F.max(key).alias("high")).first()
    if bounds is None or bounds.low is None:
        return set()
    # The key range lets Iceberg skip the parent's files by their column bounds.
    parents = spark.table(on_branch(parent.identifier, ctx.branch)).where(F.col(key).between(bounds.low, bounds.high))
    return {row.order_date for row in parents.join(others, key, "left_semi").select("order_date").distinct().collect()}


def dates_gone(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> set[date]:
    """Order dates of the fact's published rows of the run's window that the extraction no longer has."""
    if not table_exists(spec.identifier):
        return set()
    source = registry.table(spec.window_of or "").source
    assert source is not None
    window = window_condition((source.created_column,), source.created_column, ctx)
    keys = list(spec.keys)
    gone = spark.table(qualified(spec.identifier)).where(window).join(
        extracted(spark, spec, ctx).select(*keys), keys, "left_anti")
    return {row.order_date for row in gone.select("order_date").distinct().collect()}


_touched_lock = threading.Lock()


def touched_dates(spark: SparkSession, ctx: RunContext) -> list[date]:
    """Order dates whose figures this run may change, from every fact that declares `touches` (orders and
    their items): computed once per run attempt (`ctx` carries its start), also when tables on them start at
    once (the others wait for the first to compute them); every table on the touched dates is built after what
    they are computed from (`registry.waits_for`)."""
    with _touched_lock:
        return _touched_dates(spark, ctx)


@lru_cache(maxsize=32)
def _touched_dates(spark: SparkSession, ctx: RunContext) -> list[date]:
    dates: set[date] = set()
    for spec in registry.all_tables():
        if spec.touches is not None:
            dates |= dates_of_extracted(spark, spec, ctx) | dates_gone(spark, spec, ctx)
    return sorted(dates)


def read_input(spark: SparkSession, item: Input, keys: tuple[str, ...], ctx: RunContext, dates: Dates,
               everything: bool = False) -> DataFrame:
    """An input in its scope on the run branch; `everything`: a first build reads the newest version of every
    key where it would read a windowed extraction of the run (a table read whole is whole in every run's)."""
    frame = spark.table(on_branch(item.table, ctx.branch))
    source = registry.table(item.table).source
    every_version = everything and source is not None and bool(source.window_columns)
    if item.scope is Scope.CHANGED and not every_version:
        frame = frame.where(of_the_run(ctx))
        if not ctx.is_range or source is None or not source.window_columns or source.insert_only:
            return frame  # one copy of each row: no key can come twice
    if item.scope in (Scope.LATEST, Scope.CHANGED):
        newest_first = Window.partitionBy(*keys).orderBy(F.col("_run_date").desc(), F.col("_ingested_at").desc())
        return (frame.withColumn("_version", F.row_number().over(newest_first))
                .where(F.col("_version") == 1).drop("_version"))
    if item.scope is Scope.TOUCHED_DATES:
        assert item.date_column is not None
        return frame if dates is None else frame.where(F.col(item.date_column).isin(dates))
    return frame
