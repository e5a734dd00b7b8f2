"""What a derived table reads: its inputs in their scope on the run branch, the order dates the run touched, and
whether anything it depends on changed at all."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from tables import lake
from tables.dates import Dates
from tables.extract import window_condition
from tables.spark import on_branch, qualified
from tables.spec import Input, RunContext, Scope, TableSpec
from tables.table_state import changed_this_run, table_exists


def unchanged_inputs(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> bool:
    """A derived table whose inputs (and the tables its checks refer to) got no new data this run would be
    rebuilt into what main already holds, and that passed its checks when it was written: it is kept as is.
    Not on a full load, and not while main is empty (its first runs may have failed)."""
    return (spec.source is None and ctx.incremental and not ctx.full_refresh and table_exists(spark, spec.identifier)
            and lake.branch_heads(spec.identifier)["main"].total_records > 0
            and not any(changed_this_run(name, ctx) for name in spec.upstream))


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
    bounds = other_orders.agg(F.min("order_id").alias("low"), F.max("order_id").alias("high")).first()
    if bounds is not None and bounds.low is not None:  # the id range lets Iceberg skip files by their column bounds
        low, high = int(bounds.low), int(bounds.high)
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
