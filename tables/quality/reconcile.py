"""Reconciliation before publish, from what the table files declare: for a table with `upstream_totals` (silver's
orders: count and Σ total_price), the rows the run extracted have the same figures in Postgres, in bronze and in
the table; and on every order date the run touched, a table with `agrees_with` (gold's order metrics and
per-product revenue counts) agrees with the table it is computed from."""

from __future__ import annotations

from decimal import Decimal

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from infra.errors import ReconciliationError
from infra.upstream_db import upstream_row, upstream_rows
from tables.engine.dates import date_partition_column, on_dates
from tables.engine.extract import committed_after, extraction_filter
from tables.engine.scopes import extracted, touched_dates
from tables.engine.spark import on_branch
from tables.registry import all_tables, table
from tables.spec import Agreement, RunContext, TableSpec


def figures(values: tuple[object, ...]) -> tuple[Decimal, ...]:
    return tuple(Decimal(str(value)) for value in values)


def described(measures: list[str], values: tuple[Decimal, ...]) -> str:
    return ", ".join(f"{value} {name}" for name, value in zip(measures, values, strict=True))


def upstream_agreement(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> tuple[str, list[str]]:
    """The table's `upstream_totals` over the rows the run extracted, in Postgres, in bronze and in the table."""
    bronze = table(spec.window_of or "")
    assert bronze.source is not None
    measures, sql = list(spec.upstream_totals), list(spec.upstream_totals.values())
    upstream = figures(upstream_row(f"SELECT {', '.join(sql)} FROM rainforest.{bronze.source.table} "
                                    f"WHERE {extraction_filter(bronze.source, ctx)}"))
    rows = extracted(spark, spec, ctx)
    ours = spark.table(on_branch(spec.identifier, ctx.branch))
    column = date_partition_column(spec)
    if column is not None:  # the touched dates prune the table to the run's partitions
        ours = on_dates(ours, column, touched_dates(spark, ctx))
    found = {bronze.identifier: rows, spec.identifier: ours.join(rows.select(*spec.keys), list(spec.keys), "left_semi")}
    problems = []
    for identifier, frame in found.items():
        row = frame.agg(*(F.expr(expression) for expression in sql)).first()
        assert row is not None  # a global aggregate has one row
        if figures(tuple(row)) != upstream:
            problems.append(f"{identifier}: {described(measures, figures(tuple(row)))}, "
                            f"Postgres {described(measures, upstream)}")
    return f"{described(measures, upstream)} agree in Postgres, {' and '.join(found)}", problems


def per_date(spark: SparkSession, identifier: str, ctx: RunContext, measures: dict[str, str]) -> DataFrame:
    frame = spark.table(on_branch(identifier, ctx.branch)).where(F.col("order_date").isin(touched_dates(spark, ctx)))
    return frame.groupBy("order_date").agg(*(F.expr(sql).alias(name) for name, sql in measures.items()))


def disagreements(identifier: str, agreement: Agreement, theirs: DataFrame, ours: DataFrame) -> list[str]:
    """Dates on which `ours` (measures named `<measure>_ours`) differs from `theirs` (`<measure>_theirs`), or
    only one side has figures."""
    measures = agreement.measures
    differ = " OR ".join(f"NOT ({name}_theirs <=> {name}_ours)" for name in measures)
    problems = []
    for row in theirs.join(ours, "order_date", "full_outer").where(differ).orderBy("order_date").collect():
        found = ", ".join(f"{name} {row[f'{name}_ours']} (in {agreement.table}: {row[f'{name}_theirs']})"
                          for name in measures)
        problems.append(f"{identifier} on {row.order_date}: {found}")
    return problems


def agreement_mismatches(spark: SparkSession, ctx: RunContext) -> list[str]:
    """Every declared agreement (`TableSpec.agrees_with`), per touched date, measure by measure."""
    problems = []
    for spec in all_tables():
        if spec.agrees_with is None:
            continue
        measures = spec.agrees_with.measures
        theirs = per_date(spark, spec.agrees_with.table, ctx, {f"{name}_theirs": pair[0]
                                                               for name, pair in measures.items()})
        ours = per_date(spark, spec.identifier, ctx, {f"{name}_ours": pair[1] for name, pair in measures.items()})
        problems += disagreements(spec.identifier, spec.agrees_with, theirs, ours)
    return problems


def reconcile(spark: SparkSession, ctx: RunContext) -> str:
    agreed, problems = [], []
    for spec in all_tables():
        if spec.upstream_totals:
            message, found = upstream_agreement(spark, spec, ctx)
            agreed.append(message)
            problems += found
    problems += agreement_mismatches(spark, ctx)
    if problems:
        raise ReconciliationError(f"reconciliation failed on branch {ctx.branch} (main is unchanged):\n  "
                                  + "\n  ".join(problems))
    agreeing = [spec.identifier for spec in all_tables() if spec.agrees_with is not None]
    return "; ".join([*agreed, f"{' and '.join(agreeing)} agree with their sources on the touched dates"])


def dates_that_differ(spark: SparkSession, ctx: RunContext) -> list[str]:
    """Every date up to the latest one published: the rows of a table with `upstream_totals`, counted by their
    creation date, against upstream's (as the run's snapshot shows it). A date that differs lost or kept rows
    the runs since could not see (a row deleted upstream after its day, a commit older than the log's
    snapshots); a rerun of that date makes it right. Named, not failed: the run's own dates agree."""
    if not ctx.incremental or ctx.late_until is None:
        return []
    found = []
    for spec in all_tables():
        source = table(spec.window_of or "").source if spec.upstream_totals else None
        if source is None:
            continue
        created, until = source.created_column, ctx.late_until.isoformat()
        visible = f" AND NOT {committed_after(ctx.upstream_snapshot)}" if ctx.upstream_snapshot else ""
        upstream = dict(upstream_rows(f"SELECT {created}::date, count(*) FROM rainforest.{source.table} "
                                      f"WHERE {created} < '{until}'{visible} GROUP BY 1"))
        ours = {row.day: row.rows for row in spark.table(on_branch(spec.identifier, ctx.branch))
                .where(F.col(created) < F.lit(until)).groupBy(F.to_date(created).alias("day"))
                .agg(F.count("*").alias("rows")).collect()}
        for day in sorted(set(upstream) | set(ours)):
            if upstream.get(day, 0) != ours.get(day, 0):
                found.append(f"{spec.identifier} has {ours.get(day, 0)} rows created on {day}, upstream "
                             f"{upstream.get(day, 0)}: rerun it with `rainforest run --date {day}`")
    return found
