"""Reconciliation before publish: the orders a run extracted agree, in count and Σ total_price, between
Postgres, bronze and silver; and on every order date the run touched, each table that declares an agreement
(`agrees_with`: gold's order metrics and per-product revenue counts) agrees with the table it is computed from."""

from __future__ import annotations

from decimal import Decimal

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from infra.errors import ReconciliationError
from infra.health import upstream_row
from tables.dates import on_dates
from tables.extract import source_filter
from tables.registry import all_tables, table
from tables.scopes import touched_dates
from tables.spark import on_branch
from tables.spec import Agreement, RunContext

Totals = tuple[int, Decimal]


def upstream_totals(ctx: RunContext) -> Totals:
    source = table("bronze.orders").source
    assert source is not None
    count, total = upstream_row("SELECT count(*), coalesce(sum(total_price), 0) FROM rainforest.orders "
                                f"WHERE {source_filter(source, ctx)}")
    return int(count), Decimal(total)


def lake_totals(spark: SparkSession, ctx: RunContext) -> tuple[Totals, Totals]:
    extracted = (spark.table(on_branch("bronze.orders", ctx.branch))
                 .where(F.col("_run_date") == F.lit(ctx.run_date)).select("order_id", "total_price"))
    silver = on_dates(spark.table(on_branch("silver.fact_orders", ctx.branch)), "order_ts",
                      touched_dates(spark, ctx)).join(extracted.select("order_id"), "order_id", "left_semi")
    totals = []
    for frame in (extracted, silver):
        row = frame.agg(F.count("*").alias("n"), F.coalesce(F.sum("total_price"), F.lit(0)).alias("s")).first()
        assert row is not None  # a global aggregate has one row
        totals.append((int(row.n), Decimal(row.s)))
    return totals[0], totals[1]


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
    upstream = upstream_totals(ctx)
    bronze, silver = lake_totals(spark, ctx)
    problems = [f"{name}: {found[0]} orders / {found[1]} USD, Postgres {upstream[0]} orders / {upstream[1]} USD"
                for name, found in (("bronze.orders", bronze), ("silver.fact_orders", silver)) if found != upstream]
    problems += agreement_mismatches(spark, ctx)
    if problems:
        raise ReconciliationError(f"reconciliation failed on branch {ctx.branch} (main is unchanged):\n  "
                                  + "\n  ".join(problems))
    return f"{upstream[0]} orders / {upstream[1]} USD agree in Postgres, bronze, silver and gold"
