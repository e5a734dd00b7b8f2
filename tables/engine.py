"""The one generic runner: extract → transform → write (on the run branch) → audit (Soda).

Write–audit–publish: every table of a run is written on an Iceberg branch unique to the run attempt;
downstream tables read their inputs from that branch; main only moves in `tables.publish` once every table
passed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache, reduce
from operator import or_
from urllib.parse import unquote, urlparse

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DateType

from infra.health import upstream_row
from infra.settings import settings
from tables import lake, quality, registry
from tables.spark import CATALOG
from tables.spec import LAYERS, Input, RunContext, Scope, Source, TableSpec, WriteMode

JDBC_ROWS_PER_PARTITION = 500_000
JDBC_MAX_PARTITIONS = 8
META_NAMESPACE = "meta"  # pipeline bookkeeping (the publish log), outside the modelled layers
Dates = list[date] | None  # the order dates a table recomputes; None: every date (a restatement)


@dataclass(frozen=True)
class TableResult:
    table: str
    snapshot_id: int
    total_rows: int
    seconds: float
    checks: list[dict[str, object]]
    started_at: float = 0.0  # epoch seconds, to derive layer wall times
    records_added: int = 0  # rows the run's snapshot added (merges rewrite files: includes rewritten rows)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step of the runner, for profiles
    unchanged: bool = False  # no input changed this run: main's snapshot is kept


class Stopwatch:
    """Seconds spent per named step (a step may be entered several times)."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.phases[phase] = round(self.phases.get(phase, 0.0) + now - self._last, 3)
        self._last = now


logger = logging.getLogger(__name__)


def qualified(table: str) -> str:
    return f"{CATALOG}.{table}"


def on_branch(table: str, branch: str) -> str:
    return f"{CATALOG}.{table}.branch_{branch}"


# --- extract ----------------------------------------------------------------------------------------------


def jdbc_options() -> tuple[str, dict[str, str]]:
    """The JDBC URL of the upstream DSN, keeping its parameters (`sslmode`, …) and IPv6 hosts."""
    dsn = urlparse(settings().upstream_dsn)
    host = f"[{dsn.hostname}]" if ":" in (dsn.hostname or "") else dsn.hostname
    url = f"jdbc:postgresql://{host}:{dsn.port or 5432}{dsn.path}" + (f"?{dsn.query}" if dsn.query else "")
    return url, {"user": unquote(dsn.username or ""), "password": unquote(dsn.password or ""),
                 "driver": "org.postgresql.Driver", "fetchsize": "20000"}


def window_condition(columns: tuple[str, ...], created_column: str, ctx: RunContext) -> str:
    """Incremental: rows created or updated in [d, d+1). Full load: rows created before d+1, in their current
    version (a filter on the change time would drop rows updated after d). SQL for Postgres and Spark alike."""
    if ctx.incremental:
        low, high = ctx.run_date.isoformat(), ctx.next_day.isoformat()
        return " OR ".join(f"({column} >= '{low}' AND {column} < '{high}')" for column in columns)
    return f"{created_column} < '{ctx.next_day.isoformat()}'"


def source_filter(source: Source, ctx: RunContext) -> str:
    """The rows of an upstream table a run extracts; a reference table is read whole."""
    if not source.window_columns:
        return "TRUE"
    return window_condition(source.window_columns, source.created_column, ctx)


def split_bounds(source: Source, where: str) -> tuple[int, int, int]:
    """min, max and count of the split column over the rows to extract (one indexed query upstream)."""
    low, high, count = upstream_row(f"SELECT min({source.split_column}), max({source.split_column}), count(*) "
                                    f"FROM rainforest.{source.table} WHERE {where}")
    return int(low or 0), int(high or 0), int(count)


def extract(spark: SparkSession, source: Source, ctx: RunContext) -> DataFrame:
    url, properties = jdbc_options()
    where = source_filter(source, ctx)
    query = f"(SELECT * FROM rainforest.{source.table} WHERE {where}) AS src"
    if source.split_column is None:
        return spark.read.jdbc(url, query, properties=properties)
    low, high, count = split_bounds(source, where)
    partitions = max(1, min(JDBC_MAX_PARTITIONS, -(-count // JDBC_ROWS_PER_PARTITION)))
    if partitions == 1:
        return spark.read.jdbc(url, query, properties=properties)
    return spark.read.jdbc(url, query, column=source.split_column, lowerBound=low, upperBound=high + 1,
                           numPartitions=partitions, properties=properties)


# --- table state --------------------------------------------------------------------------------------------


def table_exists(spark: SparkSession, table: str) -> bool:
    return bool(spark.catalog.tableExists(qualified(table)))


PARTITION_TRANSFORMS = {"years": F.years, "months": F.months, "days": F.days, "hours": F.hours}


def partition_source(expression: str) -> str:
    name, _, rest = expression.partition("(")
    return rest.rstrip(")") if rest else name


def partition_transform(expression: str) -> Column:
    """`days(order_ts)` → F.days("order_ts"); a bare column name is an identity partition."""
    name, _, rest = expression.partition("(")
    if not rest:
        return F.col(expression)
    return PARTITION_TRANSFORMS[name](F.col(partition_source(expression)))


def date_partition_column(spec: TableSpec) -> str | None:
    """The column a date-partitioned table is partitioned on (`order_date`, or `order_ts` for days(order_ts))."""
    for partition in spec.partitioned_by:
        if partition.startswith("days(") or "(" not in partition:
            return partition_source(partition)
    return None


def on_dates_condition(frame: DataFrame, column: str, dates: list[date]) -> Column:
    """Rows on those dates. A timestamp column is compared with day ranges, which Iceberg prunes partitions
    by (`to_date(ts)` it cannot)."""
    if isinstance(frame.schema[column].dataType, DateType):
        return F.col(column).isin(dates)
    return reduce(or_, [(F.col(column) >= F.lit(day)) & (F.col(column) < F.lit(day + timedelta(days=1)))
                        for day in dates], F.lit(False))


def on_dates(frame: DataFrame, column: str, dates: Dates) -> DataFrame:
    """Rows on those dates (every row when `dates` is None), plus rows without a date: those are always
    wrong and must reach the checks."""
    if dates is None:
        return frame
    return frame.where(on_dates_condition(frame, column, dates) | F.col(column).isNull())


def creatable_column_order(columns: list[str], partitioned_by: tuple[str, ...]) -> list[str]:
    """SeaweedFS 4.48's REST catalog rejects ("Invalid request body") a partition whose source is the first
    column (field id 1); such a column is moved last. Writes resolve columns by name, so order is cosmetic."""
    sources = {partition_source(p) for p in partitioned_by}
    if columns and columns[0] in sources:
        return [*columns[1:], columns[0]]
    return columns


def changed_this_run(table: str, ctx: RunContext) -> bool:
    """Whether the run wrote data to the table's branch (a write that changes nothing commits nothing, or a
    snapshot without added or removed files)."""
    heads = lake.branch_heads(table)
    head = heads.get(ctx.branch)
    return head is None or (head.snapshot_id != heads["main"].snapshot_id and head.changes_data)


def unchanged_inputs(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> bool:
    """A derived table whose inputs (and the tables its checks refer to) got no new data this run would be
    rebuilt into what main already holds, and that passed its checks when it was written: it is kept as is.
    Not on a full load, and not while main is empty (its first runs may have failed)."""
    return (spec.source is None and ctx.incremental and not ctx.full_refresh and table_exists(spark, spec.identifier)
            and lake.branch_heads(spec.identifier)["main"].total_records > 0
            and not any(changed_this_run(name, ctx) for name in spec.upstream))


def ensure_namespaces(spark: SparkSession) -> None:
    """Once per run, before tables are built concurrently: SeaweedFS fails concurrent creates of a namespace."""
    for namespace in (*LAYERS, META_NAMESPACE):
        spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {CATALOG}.{namespace}")


def ensure_table(spark: SparkSession, spec: TableSpec, example: DataFrame) -> None:
    """Create the table from the transform's schema, with an empty first snapshot so it can be branched."""
    if table_exists(spark, spec.identifier):
        return
    columns = creatable_column_order(example.columns, spec.partitioned_by)
    writer = example.select(*columns).limit(0).writeTo(qualified(spec.identifier)).using("iceberg")
    writer = writer.tableProperty("format-version", "2").tableProperty("write.distribution-mode", "hash")
    if spec.partitioned_by:
        writer = writer.partitionedBy(*[partition_transform(p) for p in spec.partitioned_by])
    writer.create()
    logger.info("created %s", spec.identifier)


def branch_head(table: str, branch: str) -> lake.BranchHead:
    head = lake.branch_heads(table).get(branch)
    if head is None:
        raise RuntimeError(f"{table} has no branch {branch}")
    return head


# --- dates and inputs ---------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def touched_dates(spark: SparkSession, ctx: RunContext) -> list[date]:
    """Order dates whose figures this run may change: those of the orders it extracted, of the orders of the
    items it extracted (an item created after midnight restates its order's date), and of published orders and
    items of the run's window that are gone upstream. Computed once per run attempt (`ctx` carries its start),
    after silver.fact_orders is written on the branch."""
    orders = spark.table(on_branch("bronze.orders", ctx.branch)).where(F.col("_run_date") == F.lit(ctx.run_date))
    items = spark.table(on_branch("bronze.orderitem", ctx.branch)).where(F.col("_run_date") == F.lit(ctx.run_date))
    order_dates = {row.d for row in orders.select(F.to_date("order_ts").alias("d")).distinct().collect()}
    other_orders = items.select("order_id").distinct().join(orders.select("order_id"), "order_id", "left_anti")
    low, high = other_orders.agg(F.min("order_id"), F.max("order_id")).first()
    if low is not None:  # the id range lets Iceberg skip files by their column bounds
        facts = spark.table(on_branch("silver.fact_orders", ctx.branch)).where(F.col("order_id").between(low, high))
        order_dates |= {row.order_date for row in facts.join(other_orders, "order_id", "left_semi")
                        .select("order_date").distinct().collect()}
    for fact, extracted, key in (("silver.fact_orders", orders, "order_id"),
                                 ("silver.fact_order_items", items, "order_item_id")):
        if table_exists(spark, fact):
            window = window_condition(("created_ts",), "created_ts", ctx)
            gone = spark.table(qualified(fact)).where(window).join(extracted.select(key), key, "left_anti")
            order_dates |= {row.order_date for row in gone.select("order_date").distinct().collect()}
    return sorted(order_dates)


def recomputed_dates(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> Dates:
    """The dates a date-scoped table recomputes: the touched dates, or every date when a table it is
    `restated_by` (category names, the product–category bridge) changed in this run."""
    if not ctx.incremental or any(changed_this_run(name, ctx) for name in spec.restated_by):
        return None
    return touched_dates(spark, ctx)


def read_input(spark: SparkSession, item: Input, keys: tuple[str, ...], ctx: RunContext, dates: Dates) -> DataFrame:
    frame = spark.table(on_branch(item.table, ctx.branch))
    if item.scope is Scope.CHANGED:
        return frame.where(F.col("_run_date") == F.lit(ctx.run_date))
    if item.scope is Scope.LATEST:
        newest_first = Window.partitionBy(*keys).orderBy(F.col("_run_date").desc(), F.col("_ingested_at").desc())
        return (frame.withColumn("_version", F.row_number().over(newest_first))
                .where(F.col("_version") == 1).drop("_version"))
    if item.scope is Scope.TOUCHED_DATES:
        assert item.date_column is not None
        return frame if dates is None else frame.where(F.col(item.date_column).isin(dates))
    return frame


def written_dates(output: DataFrame, column: str) -> list[date]:
    """The dates a merge writes to (one small job): the partitions its checks look at."""
    return sorted(row.d for row in output.select(F.to_date(column).alias("d")).distinct().collect()
                  if row.d is not None)


# --- write ------------------------------------------------------------------------------------------------


def on_dates_sql(column: str, is_date: bool, dates: list[date]) -> str:
    """`column` on those dates, as SQL a scan can prune partitions by (day ranges for a timestamp)."""
    if is_date:
        return f"{column} IN ({', '.join(repr(day.isoformat()) for day in dates)})"
    return " OR ".join(f"({column} >= '{day}' AND {column} < '{day + timedelta(days=1)}')" for day in dates)


def merge_statement(spec: TableSpec, target: str, view: str, columns: list[str], on_dates: str = "") -> str:
    """Upsert by key; `on_dates` (a condition on the target alone: the source's dates) lets Iceberg prune the
    target to those partitions, so a fact merge does not scan the whole history. Only rows that differ are
    updated."""
    on = " AND ".join([*(f"t.{c} = s.{c}" for c in spec.keys), *([f"({on_dates})"] if on_dates else [])])
    changed = " OR ".join(f"NOT (t.{c} <=> s.{c})" for c in columns if c not in spec.keys) or "FALSE"
    return (f"MERGE INTO {target} t USING {view} s ON {on} "
            f"WHEN MATCHED AND ({changed}) THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")


def sync(spark: SparkSession, spec: TableSpec, output: DataFrame, target: str) -> None:
    """Make the table equal `output`, touching only what differs: a copy-on-write MERGE or DELETE rewrites
    every file it matches, so rows that did not change are left out, and an unchanged table commits nothing
    (downstream then sees no change). Keys gone upstream (deleted users, bridge rows) are deleted."""
    current = spark.table(target).select(*output.columns)
    changed = output.subtract(current)
    if changed.limit(1).count():
        changed.createOrReplaceTempView(f"_changed_{spec.name}")
        spark.sql(merge_statement(spec, target, f"_changed_{spec.name}", output.columns))
    if current.select(*spec.keys).subtract(output.select(*spec.keys)).limit(1).count():
        output.createOrReplaceTempView(f"_new_{spec.name}")
        match = " AND ".join(f"t.{c} = s.{c}" for c in spec.keys)
        spark.sql(f"DELETE FROM {target} t WHERE NOT EXISTS (SELECT 1 FROM _new_{spec.name} s WHERE {match})")


def delete_gone_in_window(spark: SparkSession, spec: TableSpec, view: str, target: str, ctx: RunContext) -> None:
    """A fact's rows created in the run's extraction window are exactly what was extracted: rows of that window
    the extraction no longer has were deleted upstream (a day regenerated with fewer orders) and leave too.
    Looked for first, so a run with nothing to delete commits nothing."""
    assert spec.window_of is not None
    source = registry.table(spec.window_of).source
    assert source is not None
    window = source_filter(source, ctx)  # the same SQL condition on created_ts, in Spark
    current = spark.table(target).where(window).select(*spec.keys)
    if current.subtract(spark.table(view).select(*spec.keys)).limit(1).count():
        match = " AND ".join(f"t.{c} = s.{c}" for c in spec.keys)
        spark.sql(f"DELETE FROM {target} t WHERE ({window}) AND NOT EXISTS (SELECT 1 FROM {view} s WHERE {match})")


def write(spark: SparkSession, spec: TableSpec, output: DataFrame, ctx: RunContext, dates: Dates) -> None:
    target = on_branch(spec.identifier, ctx.branch)
    if spec.write_mode is WriteMode.MERGE:
        view = f"_src_{spec.layer}_{spec.name}"
        output.createOrReplaceTempView(view)
        column = date_partition_column(spec)
        on_dates = "" if column is None or not dates else on_dates_sql(
            f"t.{column}", isinstance(output.schema[column].dataType, DateType), dates)
        spark.sql(merge_statement(spec, target, view, output.columns, on_dates))
        if spec.window_of is not None:
            delete_gone_in_window(spark, spec, view, target, ctx)
    elif spec.write_mode is WriteMode.SYNC:
        sync(spark, spec, output, target)
    elif spec.write_mode is WriteMode.OVERWRITE_DATES:
        if dates == []:
            return  # no date to recompute (a quiet day): nothing is replaced
        column = date_partition_column(spec)
        assert column is not None
        condition = F.lit(True) if dates is None else on_dates_condition(output, column, dates)
        output.writeTo(target).overwrite(condition)
    else:
        output.writeTo(target).overwrite(F.lit(True))


# --- the runner ---------------------------------------------------------------------------------------------


def with_ingestion_columns(frame: DataFrame, ctx: RunContext) -> DataFrame:
    return frame.withColumn("_run_date", F.lit(ctx.run_date)).withColumn("_ingested_at", F.current_timestamp())


def is_date_scoped(spec: TableSpec) -> bool:
    return any(item.scope is Scope.TOUCHED_DATES for item in spec.inputs.values())


def run_table(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> TableResult:
    """Extract, transform, write on the run branch, audit. Raises QualityGateError on failed checks."""
    started, started_at, watch = time.monotonic(), time.time(), Stopwatch()
    if unchanged_inputs(spark, spec, ctx):
        lake.create_branch(spec.identifier, ctx.branch)
        head = branch_head(spec.identifier, ctx.branch)
        watch.lap("unchanged")
        return TableResult(spec.identifier, head.snapshot_id, head.total_records, time.monotonic() - started, [],
                           started_at, 0, watch.phases, unchanged=True)
    dates: Dates = None
    if spec.source is not None:
        dates = [ctx.run_date]
        output = with_ingestion_columns(spec.transform(extract(spark, spec.source, ctx)), ctx)
    else:
        if is_date_scoped(spec):
            dates = recomputed_dates(spark, spec, ctx)
        frames = {param: read_input(spark, item, registry.table(item.table).keys, ctx, dates)
                  for param, item in spec.inputs.items()}
        output = spec.transform(**frames)
    watch.lap("plan")
    ensure_table(spark, spec, output)
    lake.create_branch(spec.identifier, ctx.branch)
    watch.lap("branch")
    column = date_partition_column(spec)
    if spec.write_mode is WriteMode.MERGE and column is not None:
        dates = written_dates(output, column)
    write(spark, spec, output, ctx, dates)
    watch.lap("write")
    outcome = audit(spark, spec, ctx, dates)
    watch.lap("audit")
    head = branch_head(spec.identifier, ctx.branch)
    watch.lap("branch")
    return TableResult(spec.identifier, head.snapshot_id, head.total_records, time.monotonic() - started,
                       outcome.checks if outcome else [], started_at, head.added_records, watch.phases)


def rows_on(spark: SparkSession, spec: TableSpec, ctx: RunContext, dates: Dates) -> DataFrame:
    """A table as the run branch holds it, on those dates when it is date-partitioned (so the cost of a scan
    does not grow with history; earlier dates passed their own runs)."""
    frame = spark.table(on_branch(spec.identifier, ctx.branch))
    column = date_partition_column(spec)
    return on_dates(frame, column, dates) if column else frame


def audit(spark: SparkSession, spec: TableSpec, ctx: RunContext, dates: Dates) -> quality.ScanOutcome | None:
    """The table's checks on the dates the run wrote (the whole table when it has no date partition);
    tables its checks refer to are read on the same dates."""
    if not quality.checks_file(spec.layer, spec.name).exists():
        return None
    references = {name.split(".")[1]: rows_on(spark, registry.table(name), ctx, dates)
                  for name in spec.check_references}
    outcome = quality.scan(spark, spec.layer, spec.name, rows_on(spark, spec, ctx, dates), ctx.reports_label,
                           references)
    quality.gate(outcome, ctx.branch)
    return outcome
