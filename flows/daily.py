"""`rainforest-daily(run_date)`: one subflow per layer, one task per table, then one publish step."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from infra.health import check_services
from tables import engine
from tables.registry import all_tables, layer_tables, table
from tables.spark import get_spark
from tables.spec import LAYERS, RunContext


@task(cache_policy=NO_CACHE, retries=0)
def build_table(identifier: str, ctx: RunContext) -> engine.TableResult:
    result = engine.run_table(get_spark(), table(identifier), ctx)
    get_run_logger().info("%s: %d rows on %s, checks passed, %.1fs", identifier, result.total_rows, ctx.branch,
                          result.seconds)
    return result


@flow(log_prints=False)
def layer_flow(layer: str, ctx: RunContext) -> list[engine.TableResult]:
    """Tables of one layer run concurrently, each waiting only for its upstream tables in the same layer."""
    futures: dict[str, PrefectFuture[engine.TableResult]] = {}
    for spec in layer_tables(layer):
        waits = [futures[name] for name in spec.upstream if name in futures]
        futures[spec.identifier] = build_table.with_options(name=spec.identifier).submit(
            spec.identifier, ctx, wait_for=waits)
    return [future.result() for future in futures.values()]


@task(cache_policy=NO_CACHE)
def publish(ctx: RunContext) -> None:
    engine.publish(get_spark(), list(all_tables()), ctx)


def yesterday() -> date:
    return datetime.now(timezone.utc).date() - timedelta(days=1)


@flow(name="rainforest-daily")
def rainforest_daily(run_date: date | None = None, full_refresh: bool = False) -> list[engine.TableResult]:
    ctx = RunContext(run_date or yesterday(), full_refresh)
    check_services()
    engine.ensure_namespaces(get_spark())
    results: list[engine.TableResult] = []
    for layer in LAYERS:
        results += layer_flow.with_options(name=f"rainforest-{layer}",
                                           flow_run_name=f"{layer}-{ctx.run_date}")(layer, ctx)
    publish(ctx)
    return results
