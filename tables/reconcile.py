"""Reconciliation before publish: the orders a run extracted agree, in count and Σ total_price, between
Postgres, bronze and silver; and on every order date the run touched, gold agrees with silver — order counts
and revenue in the order metrics, item counts and revenue in the per-product revenue counts the category report
is built from."""

from __future__ import annotations

from decimal import Decimal

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from infra.errors import ReconciliationError
from infra.health import upstream_row
from tables.dates import on_dates
from tables.extract import source_filter
from tables.registry import table
from tables.scopes import touched_dates
from tables.spark import on_branch
from tables.spec import RunContext

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


def per_date(frame: DataFrame, count: F.Column, total: F.Column) -> DataFrame:
    return frame.groupBy("order_date").agg(count.alias("n"), total.alias("s"))


def mismatches(what: str, silver: DataFrame, gold: DataFrame) -> list[str]:
    rows = (silver.join(gold.withColumnRenamed("n", "gn").withColumnRenamed("s", "gs"), "order_date", "full_outer")
            .where("n IS NULL OR gn IS NULL OR n != gn OR s != gs").collect())
    return [f"{r.order_date}: silver {r.n} {what} / {r.s} USD, gold {r.gn} {what} / {r.gs} USD" for r in rows]


def gold_mismatches(spark: SparkSession, ctx: RunContext) -> list[str]:
    dates = touched_dates(spark, ctx)

    def rows(identifier: str) -> DataFrame:
        return spark.table(on_branch(identifier, ctx.branch)).where(F.col("order_date").isin(dates))

    return (mismatches("orders", per_date(rows("silver.fact_orders"), F.count("*"), F.sum("total_price")),
                       rows("gold.daily_order_metrics").select("order_date", F.col("order_count").alias("n"),
                                                               F.col("total_revenue").alias("s")))
            + mismatches("items", per_date(rows("silver.fact_order_items"), F.count("*"), F.sum("revenue")),
                         per_date(rows("gold.daily_product_revenue"), F.sum("item_count"),
                                  F.sum(F.col("revenue") * F.col("item_count")))))


def reconcile(spark: SparkSession, ctx: RunContext) -> str:
    upstream = upstream_totals(ctx)
    bronze, silver = lake_totals(spark, ctx)
    problems = [f"{name}: {found[0]} orders / {found[1]} USD, Postgres {upstream[0]} orders / {upstream[1]} USD"
                for name, found in (("bronze.orders", bronze), ("silver.fact_orders", silver)) if found != upstream]
    problems += gold_mismatches(spark, ctx)
    if problems:
        raise ReconciliationError(f"reconciliation failed on branch {ctx.branch} (main is unchanged):\n  "
                                  + "\n  ".join(problems))
    return f"{upstream[0]} orders / {upstream[1]} USD agree in Postgres, bronze, silver and gold"
