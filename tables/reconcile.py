"""Reconciliation before publish: the orders a run extracted agree, in count and Σ total_price, between
Postgres, bronze and silver; and gold's order metrics agree with silver on every order date the run touched."""

from __future__ import annotations

from decimal import Decimal

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from infra.errors import ReconciliationError
from infra.health import upstream_row
from tables.engine import extracts_incrementally, on_branch, on_dates, source_filter, touched_dates
from tables.registry import table
from tables.spec import RunContext

Totals = tuple[int, Decimal]


def upstream_totals(spark: SparkSession, ctx: RunContext) -> Totals:
    source = table("bronze.orders").source
    assert source is not None
    incremental = extracts_incrementally(spark, "bronze.orders", ctx)
    count, total = upstream_row("SELECT count(*), coalesce(sum(total_price), 0) FROM rainforest.orders "
                                f"WHERE {source_filter(source, ctx, incremental)}")
    return int(count), Decimal(total)


def lake_totals(spark: SparkSession, ctx: RunContext) -> tuple[Totals, Totals]:
    extracted = (spark.table(on_branch("bronze.orders", ctx.branch))
                 .where(F.col("_run_date") == F.lit(ctx.run_date)).select("order_id", "total_price"))
    silver = on_dates(spark.table(on_branch("silver.fact_orders", ctx.branch)), "order_ts",
                      touched_dates(spark, ctx)).join(extracted.select("order_id"), "order_id", "left_semi")
    totals = []
    for frame in (extracted, silver):
        row = frame.agg(F.count("*").alias("n"), F.coalesce(F.sum("total_price"), F.lit(0)).alias("s")).first()
        totals.append((int(row.n), Decimal(row.s)))
    return totals[0], totals[1]


def gold_mismatches(spark: SparkSession, ctx: RunContext) -> list[str]:
    dates = touched_dates(spark, ctx)
    silver = (spark.table(on_branch("silver.fact_orders", ctx.branch)).where(F.col("order_date").isin(dates))
              .groupBy("order_date").agg(F.count("*").alias("n"), F.sum("total_price").alias("s")))
    gold = (spark.table(on_branch("gold.daily_order_metrics", ctx.branch)).where(F.col("order_date").isin(dates))
            .select("order_date", F.col("order_count").alias("gn"), F.col("total_revenue").alias("gs")))
    rows = silver.join(gold, "order_date", "full_outer").where(
        "n IS NULL OR gn IS NULL OR n != gn OR s != gs").collect()
    return [f"{r.order_date}: silver {r.n} orders / {r.s} USD, gold {r.gn} orders / {r.gs} USD" for r in rows]


def reconcile(spark: SparkSession, ctx: RunContext) -> str:
    upstream = upstream_totals(spark, ctx)
    bronze, silver = lake_totals(spark, ctx)
    problems = [f"{name}: {found[0]} orders / {found[1]} USD, Postgres {upstream[0]} orders / {upstream[1]} USD"
                for name, found in (("bronze.orders", bronze), ("silver.fact_orders", silver)) if found != upstream]
    problems += gold_mismatches(spark, ctx)
    if problems:
        raise ReconciliationError(f"reconciliation failed on branch {ctx.branch} (main is unchanged):\n  "
                                  + "\n  ".join(problems))
    return f"{upstream[0]} orders / {upstream[1]} USD agree in Postgres, bronze, silver and gold"
