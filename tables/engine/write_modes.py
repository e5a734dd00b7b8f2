"""The write modes, each onto the run's branch: merge by key, replace an extraction window, sync to a new whole
content, overwrite dates, replace."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DateType

from infra.errors import QualityGateError, fix_hint
from tables import registry
from tables.engine.dates import Dates, date_partition_column, on_dates_condition, on_dates_sql
from tables.engine.extract import source_filter
from tables.engine.spark import any_of, held, on_branch
from tables.spec import RunContext, TableSpec, WriteMode


def merge_statement(spec: TableSpec, target: str, view: str, columns: list[str], on_dates: str = "") -> str:
    """Upsert by key; `on_dates` (a condition on the target alone: the source's dates) lets Iceberg prune the
    target to those partitions, so a fact merge does not scan the whole history. Only rows that differ are
    updated."""
    on = " AND ".join([*(f"t.{c} = s.{c}" for c in spec.keys), *([f"({on_dates})"] if on_dates else [])])
    changed = " OR ".join(f"NOT (t.{c} <=> s.{c})" for c in columns if c not in spec.keys) or "FALSE"
    return (f"MERGE INTO {target} t USING {view} s ON {on} "
            f"WHEN MATCHED AND ({changed}) THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")


MERGE_CARDINALITY = ("MERGE_CARDINALITY_VIOLATION", "with multiple rows of the source table")


def merge(spark: SparkSession, spec: TableSpec, statement: str, rows: DataFrame, ctx: RunContext) -> None:
    """Run a MERGE of `rows`. Rows that hold a key twice make Spark refuse the merge when the key is in the table
    already (a rerun); that is the gate's duplicate check failing, and is said so, not as a JVM stack trace."""
    try:
        spark.sql(statement)
    except Exception as error:
        if not any(marker in str(error) for marker in MERGE_CARDINALITY):
            raise
        keys = ", ".join(spec.keys)
        duplicated = rows.groupBy(*spec.keys).count().where("count > 1").count()
        raise QualityGateError(spec.identifier, ctx.branch, [f"duplicate_count({keys}) = 0: fail (value {duplicated})"],
                               "none: the merge refused the keys the run's rows hold twice",
                               fix_hint(ctx.run_date)) from None


DIFFERENCE = "_difference"  # what `differences` found for a row: "changed" (new or different) or "gone"


def differences(spec: TableSpec, output: DataFrame, current: DataFrame) -> DataFrame:
    """One join of a table's new content with its current rows: the rows of `output` that are new or differ
    ("changed", with output's columns) and the keys `output` no longer has ("gone", keys only)."""
    values = [column for column in output.columns if column not in spec.keys]
    new = output.select("*", F.lit(True).alias("_in_output")).alias("s")
    old = current.select("*", F.lit(True).alias("_in_table")).alias("t")
    joined = new.join(old, [F.col(f"s.{key}") == F.col(f"t.{key}") for key in spec.keys], "full_outer")
    differs = any_of([~F.col(f"s.{column}").eqNullSafe(F.col(f"t.{column}")) for column in values])
    kind = (F.when(F.col("_in_output").isNull(), F.lit("gone"))
            .when(F.col("_in_table").isNull() | differs, F.lit("changed")))
    return joined.select(*[F.coalesce(F.col(f"s.{key}"), F.col(f"t.{key}")).alias(key) for key in spec.keys],
                         *[F.col(f"s.{column}").alias(column) for column in values],
                         kind.alias(DIFFERENCE)).where(F.col(DIFFERENCE).isNotNull()).select(
        *output.columns, DIFFERENCE)


def sync(spark: SparkSession, spec: TableSpec, output: DataFrame, target: str, ctx: RunContext) -> None:
    """Make the table equal `output`, touching only what differs: a copy-on-write MERGE or DELETE rewrites
    every file it matches, so rows that did not change are left out, and an unchanged table commits nothing
    (downstream then sees no change). Keys gone upstream (deleted users, bridge rows) are deleted. The
    differences are computed once and held (a MERGE whose source reads its own target is not planned by Iceberg
    on Spark 4.1)."""
    found = held(differences(spec, output, spark.table(target).select(*output.columns)))
    changed = found.where(F.col(DIFFERENCE) == "changed").drop(DIFFERENCE)
    gone = found.where(F.col(DIFFERENCE) == "gone").select(*spec.keys)
    kinds = {row[0] for row in (found.where(F.col(DIFFERENCE) == "changed").select(DIFFERENCE).limit(1)
                                .union(found.where(F.col(DIFFERENCE) == "gone").select(DIFFERENCE).limit(1))
                                .collect())}  # both looked for in one job
    if "changed" in kinds:
        changed.createOrReplaceTempView(f"_changed_{spec.name}")
        merge(spark, spec, merge_statement(spec, target, f"_changed_{spec.name}", output.columns), changed, ctx)
    if "gone" in kinds:
        gone.createOrReplaceTempView(f"_gone_{spec.name}")
        match = " AND ".join(f"t.{c} = s.{c}" for c in spec.keys)
        spark.sql(f"DELETE FROM {target} t WHERE EXISTS (SELECT 1 FROM _gone_{spec.name} s WHERE {match})")


def run_window(spec: TableSpec, ctx: RunContext) -> str:
    """The fact's rows created in the run's extraction window: the extraction's own SQL condition, in Spark."""
    assert spec.window_of is not None
    source = registry.table(spec.window_of).source
    assert source is not None
    return source_filter(source, ctx)


def delete_gone_in_window(spark: SparkSession, spec: TableSpec, view: str, target: str, ctx: RunContext) -> None:
    """A fact's rows created in the run's extraction window are exactly what was extracted: rows of that window
    the extraction no longer has were deleted upstream (a day regenerated with fewer orders) and leave too.
    Looked for first, so a run with nothing to delete commits nothing."""
    window = run_window(spec, ctx)
    current = spark.table(target).where(window).select(*spec.keys)
    if not current.join(spark.table(view).select(*spec.keys), list(spec.keys), "left_anti").isEmpty():
        match = " AND ".join(f"t.{c} = s.{c}" for c in spec.keys)
        spark.sql(f"DELETE FROM {target} t WHERE ({window}) AND NOT EXISTS (SELECT 1 FROM {view} s WHERE {match})")


def replace_window(spark: SparkSession, spec: TableSpec, output: DataFrame, target: str, ctx: RunContext) -> None:
    """The run's window becomes what it extracted (rows gone upstream leave with it): a delete, which Iceberg
    does from file metadata alone while each file holds one run's rows, and an append. A merge would join every
    extracted row with the table's rows of its dates; only rows committed late, outside the window, are merged."""
    window = run_window(spec, ctx)
    spark.sql(f"DELETE FROM {target} WHERE {window}")
    late = output.where(f"NOT ({window})")  # committed after their day's run (tables.engine.extract): any date
    # read from bronze's date partitions, a read task holds one date: no shuffle to cluster the rows by date
    # (Iceberg's fanout writers take a task's rows of several dates)
    if ctx.late_since and not late.isEmpty():
        output.where(window).writeTo(target).option("distribution-mode", "none").append()
        held(late).createOrReplaceTempView(f"_late_{spec.name}")  # a view on the source table's branch would
        merge(spark, spec, merge_statement(spec, target, f"_late_{spec.name}", output.columns), late,  # fail to
              ctx)  # plan in a MERGE on Spark 4.1 (SPARK-57539); never appended twice
        return
    output.writeTo(target).option("distribution-mode", "none").append()


def write(spark: SparkSession, spec: TableSpec, output: DataFrame, ctx: RunContext, dates: Dates) -> None:
    target = on_branch(spec.identifier, ctx.branch)
    if spec.write_mode is WriteMode.MERGE:
        view = f"_src_{spec.layer}_{spec.name}"
        output.createOrReplaceTempView(view)
        column = date_partition_column(spec)
        on_dates = "" if column is None or not dates else on_dates_sql(
            f"t.{column}", isinstance(output.schema[column].dataType, DateType), dates)
        merge(spark, spec, merge_statement(spec, target, view, output.columns, on_dates), output, ctx)
        if spec.window_of is not None:
            delete_gone_in_window(spark, spec, view, target, ctx)
    elif spec.write_mode is WriteMode.REPLACE_WINDOW:
        replace_window(spark, spec, output, target, ctx)
    elif spec.write_mode is WriteMode.SYNC:
        sync(spark, spec, output, target, ctx)
    elif spec.write_mode is WriteMode.OVERWRITE_DATES:
        if dates == []:
            return  # no date to recompute (a quiet day): nothing is replaced
        column = date_partition_column(spec)
        assert column is not None
        condition = F.lit(True) if dates is None else on_dates_condition(output, column, dates)
        writer = output.writeTo(target)
        if spec.source is not None:  # a run date's rows come together (a range's: JDBC splits on ids that grow
            writer = writer.option("distribution-mode", "none")  # with time): no shuffle to cluster them
        writer.overwrite(condition)
    else:
        output.writeTo(target).overwrite(F.lit(True))
