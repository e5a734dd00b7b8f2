"""`rainforest-daily(run_date)`: one subflow per layer, one task per table, reconciliation, one publish step;
`rainforest-backfill(start, end)`: the days in order, stopping at the first failure."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from infra.errors import RunFailedError
from infra.health import check_services
from tables import engine, publish, quality, reconcile
from tables.registry import layer_tables, table
from tables.spark import get_spark
from tables.spec import LAYERS, RunContext


@task(cache_policy=NO_CACHE)
def build_table(identifier: str, ctx: RunContext) -> engine.TableResult:
    result = engine.run_table(get_spark(), table(identifier), ctx)
    get_run_logger().info("%s: %d rows on %s, checks passed, %.1fs", identifier, result.total_rows, ctx.branch,
                          result.seconds)
    return result


@flow
def layer_flow(layer: str, ctx: RunContext) -> list[engine.TableResult]:
    """Tables of one layer run concurrently, each waiting only for its upstream tables in the same layer."""
    futures: dict[str, PrefectFuture[engine.TableResult]] = {}
    for spec in layer_tables(layer):
        waits = [futures[name] for name in spec.upstream if name in futures]
        futures[spec.identifier] = build_table.with_options(name=spec.identifier).submit(
            spec.identifier, ctx, wait_for=waits)
    return [future.result() for future in futures.values()]


@task(cache_policy=NO_CACHE)
def reconcile_orders(ctx: RunContext) -> None:
    get_run_logger().info(reconcile.reconcile(get_spark(), ctx))


@task(cache_policy=NO_CACHE)
def publish_run(results: list[engine.TableResult], ctx: RunContext) -> None:
    publish.publish(get_spark(), results, ctx)


def yesterday() -> date:
    return datetime.now(timezone.utc).date() - timedelta(days=1)


@flow(name="rainforest-daily")
def rainforest_daily(run_date: date | None = None, full_refresh: bool = False) -> list[engine.TableResult]:
    """Build every table on the run's branch, audit, reconcile; publish only if all of it passed."""
    ctx = RunContext(run_date or yesterday(), full_refresh)
    check_services()
    engine.ensure_namespaces(get_spark())
    results: list[engine.TableResult] = []
    try:
        for layer in LAYERS:
            results += layer_flow.with_options(name=f"rainforest-{layer}",
                                               flow_run_name=f"{layer}-{ctx.run_date}")(layer, ctx)
            if layer == "gold":
                reconcile_orders(ctx)
        publish_run(results, ctx)
    finally:
        create_markdown_artifact(quality.markdown_summary(ctx.reports_label),
                                 key=f"soda-{ctx.branch.replace('_', '-')}",
                                 description=f"Soda checks of the run for {ctx.run_date}")
    return results


@flow(name="rainforest-backfill")
def rainforest_backfill(start: date, end: date) -> list[date]:
    """Run the daily flow for every day from start to end, in order; a failed day stops the backfill."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    done: list[date] = []
    day = start
    while day <= end:
        try:
            rainforest_daily(run_date=day)
        except Exception as error:
            raise RunFailedError(f"backfill stopped at {day} (done: {len(done)} days): {error}") from error
        done.append(day)
        day += timedelta(days=1)
    return done
