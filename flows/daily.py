"""`rainforest-daily(run_date)`: one subflow per layer in order (bronze, silver, gold, interface), its tables
concurrent Prefect tasks, then reconciliation and one publish step;
`rainforest-backfill(start, end)`: the days in order, stopping at the first failure.

Every run holds the writer lock, first completes a publish a killed run left half done, then catches up the
dates after the last published one, in order, so it never publishes over a hole."""

from __future__ import annotations

import getpass
import logging
import socket
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from graphlib import TopologicalSorter
from itertools import takewhile
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.futures import PrefectFuture, wait
from prefect.runtime import flow_run
from prefect.states import State
from prefect.utilities.urls import url_for

from flows.console import say
from flows.summary import (
    dates_named,
    range_trends_artifact,
    report_quiet_dates,
    report_restatements,
    run_summary,
    soda_artifact,
    table_line,
    write_run_report,
)
from infra.errors import (
    SPARK,
    QualityGateError,
    RainforestError,
    ReconciliationError,
    RunFailedError,
    fault_detail,
    transient_service,
)
from infra.health import check_services
from infra.settings import settings
from tables.engine import checkpoints, runner, upstream_schema
from tables.engine.extract import upstream_snapshot
from tables.engine.quiet_dates import first_busy_date, upstream_fingerprint
from tables.engine.results import TableResult
from tables.engine.spark import forget_session, get_spark, live_session, run_session_id, session_id, table_tag, tagged
from tables.engine.table_state import ensure_namespaces
from tables.engine.writer_lock import writer_lock
from tables.publish import protocol, upkeep
from tables.quality import gate, reconcile
from tables.read import restatements
from tables.registry import all_tables, layer_tables, table, waits_for
from tables.spec import LAYERS, RunContext

IO_RETRIES = 2
IO_RETRY_DELAYS = [5, 20]


def retry_when_transient(_task: object, run: TaskRun, state: State) -> bool:
    """Retry a fault of a service that may come back (a restart, a dropped connection); never a failed check."""
    error = state.result(raise_on_failure=False)
    service = transient_service(error) if isinstance(error, BaseException) else None
    if service == SPARK:
        forget_session()  # a server that stopped lost its sessions: the retry opens a new one
    if service is not None and run.run_count <= IO_RETRIES:
        say("%s: %s did not answer; retry %d of %d in %d s", run.name.rsplit("-", 1)[0], service, run.run_count,
            IO_RETRIES, IO_RETRY_DELAYS[run.run_count - 1], level=logging.WARNING)
    return service is not None


IO_TASK: dict[str, Any] = {"cache_policy": NO_CACHE, "retries": IO_RETRIES, "retry_delay_seconds": IO_RETRY_DELAYS,
                           "retry_condition_fn": retry_when_transient}  # every task here does I/O


@task(**IO_TASK)
def build_table(identifier: str, ctx: RunContext) -> TableResult:
    with tagged(get_spark(), table_tag(identifier)) as spark:
        result = runner.run_table(spark, table(identifier), ctx)
    checkpoints.reached(f"written:{identifier}")
    say(table_line(result))
    return result


@flow
def layer_flow(layer: str, ctx: RunContext) -> list[TableResult]:
    """The layer's tables as concurrent tasks, each waiting for the tables of its layer it reads (the earlier
    layers are built). A failed table fails the layer once the tables that do not need it are built."""
    specs = {spec.identifier: spec for spec in layer_tables(layer)}
    graph = {name: {read for read in waits_for(spec) if read in specs} for name, spec in specs.items()}
    futures: dict[str, PrefectFuture[TableResult]] = {}
    for name in TopologicalSorter(graph).static_order():
        futures[name] = build_table.with_options(name=name).submit(
            name, ctx, return_state=False, wait_for=[futures[read] for read in graph[name]])
    wait(list(futures.values()))
    in_order = [futures[name] for name in specs]
    failed = [future for future in in_order  # not those left pending (NotReady) by a failed input
              if future.state.is_final() and not future.state.is_completed()]
    if failed:
        failed[0].result()  # raises the table's error
    return [future.result() for future in in_order]


def build_all(ctx: RunContext) -> list[TableResult]:
    """One subflow per layer, in order: bronze, silver, gold, interface."""
    name = dates_named(ctx).replace(" ", "-")
    return [result for layer in LAYERS
            for result in layer_flow.with_options(name=f"rainforest-{layer}", flow_run_name=f"{layer}-{name}")(
                layer, ctx)]


@task(**IO_TASK)
def check_upstream_schema() -> None:
    """Before any write: a column the model reads gone upstream stops the run; new columns are announced."""
    for change in upstream_schema.check(get_spark()):
        say("upstream schema of %s changed: %s", change.table, "; ".join(
            part for part in (f"new column(s) {', '.join(change.added)} added to bronze" if change.added else "",
                              f"column(s) {', '.join(change.gone)} gone upstream, null from now on"
                              if change.gone else "") if part), level=logging.WARNING)


@task(**IO_TASK)
def reconcile_orders(ctx: RunContext) -> None:
    say("%-34s %s", "gold      reconciliation", reconcile.reconcile(get_spark(), ctx))
    for line in reconcile.dates_that_differ(get_spark(), ctx):
        say("%s", line, level=logging.WARNING)


@task(**IO_TASK)
def record_restatements(results: list[TableResult], ctx: RunContext) -> list[dict[str, Any]]:
    """Report figures of already published dates this run changes (kept before it publishes)."""
    rows = protocol.log_rows()
    release, dates = protocol.last_release(rows), protocol.published_dates(rows)
    return restatements.record(release.snapshots if release else {}, max(dates) if dates else None,
                               {result.table: result.snapshot_id for result in results}, ctx)


@task(**IO_TASK)
def publish_run(results: list[TableResult], ctx: RunContext,
                per_date: dict[date, list[TableResult]] | None = None) -> None:
    protocol.publish(results, ctx, per_date)


@task(**IO_TASK)
def resume_interrupted_publish() -> None:
    release = protocol.resume_interrupted()
    if release is not None:
        say("completed the publish of %s that a killed run left half done", release.run_date,
            level=logging.WARNING)


class TrendFailsInRange(RainforestError):
    """A range run's trend checks fail on one of its dates: nothing is published; the dates before it run again
    as a range, that date alone (where its checks, their message and `--accept-trend` are a daily run's)."""

    def __init__(self, day: date, failures: list[str]) -> None:
        super().__init__(f"trend checks fail on {day}:\n  " + "\n  ".join(failures))
        self.day = day


@task(**IO_TASK)
def judge_range_trends(results: list[TableResult], ctx: RunContext) -> dict[date, list[TableResult]]:
    """Every date's trend checks of a range run, each date judged as a run of it alone would: its results are
    the range's, with its own trend checks added."""
    spark = get_spark()
    figures = {spec.identifier: runner.trend_figures(spark, spec, ctx) for spec in all_tables()
               if spec.trend is not None}
    judged = gate.range_trend_checks(figures, ctx.dates, protocol.complete_runs(protocol.log_rows()))
    failing = sorted(day for item in judged.values() for day in item.failures)
    if failing:
        raise TrendFailsInRange(failing[0], [line for item in judged.values()
                                             for line in item.failures.get(failing[0], [])])
    range_trends_artifact(judged, ctx)
    return {day: [replace(result, checks=[*result.checks, *judged[result.table].checks[day]])
                  if result.table in judged else result for result in results] for day in ctx.dates}


def run_day(run_date: date, full_refresh: bool, fingerprint: str, position: str = "",
            accept_trend: str = "") -> dict[date, list[TableResult]]:
    """One date: build every table on a branch of its own, audit, reconcile; publish only if all of it passed.
    `fingerprint`: upstream's tables read whole, taken before anything of the run is extracted."""
    rows, log_snapshot = protocol.log_state()
    published = protocol.published_dates(rows)
    incremental = not full_refresh and any(day < run_date for day in published)
    ctx = RunContext(run_date, full_refresh, incremental,
                     trend_checks=gate.trend_checks(run_date, protocol.complete_runs(rows)),
                     log_snapshot=log_snapshot,
                     accept_trend=f"{accept_trend} (accepted by {getpass.getuser()}@{socket.gethostname()})"
                     if accept_trend else "",
                     upstream_snapshot=upstream_snapshot(), late_since=protocol.last_upstream_snapshot(rows),
                     late_until=max([run_date, *published]) + timedelta(days=1), upstream_fingerprint=fingerprint)
    say("%s: %s run on branch %s", run_date, "incremental" if incremental else "full-load (all history up to it)",
        ctx.branch)
    return run(ctx, position)


def run_range(dates: list[date], fingerprint: str, position: str) -> dict[date, list[TableResult]]:
    """Consecutive unpublished dates right after the last published one, in one run: one extraction window, one
    build, every date's trend checks judged as day by day, one publish that logs each date."""
    rows, log_snapshot = protocol.log_state()
    ctx = RunContext(dates[-1], incremental=True, log_snapshot=log_snapshot, upstream_snapshot=upstream_snapshot(),
                     late_since=protocol.last_upstream_snapshot(rows),
                     late_until=max([dates[-1], *protocol.published_dates(rows)]) + timedelta(days=1),
                     upstream_fingerprint=fingerprint, first_date=dates[0])
    say("%s to %s (dates %s): %d dates in one range run on branch %s", dates[0], dates[-1], position, len(dates),
        ctx.branch)
    return run(ctx, position)


def run(ctx: RunContext, position: str) -> dict[date, list[TableResult]]:
    """Build, audit, reconcile and publish the run's dates; the results of each date."""
    began = time.monotonic()
    publishing = False  # once the publish began, some mains may have moved when a service stops answering
    try:
        check_upstream_schema()
        results = build_all(ctx)
        # reconciliation (Spark and Postgres) beside the restatements (the client's reads of report snapshots):
        # both only read, and a restatement counts once its run published
        reconciled = reconcile_orders.submit(ctx)
        try:
            per_date = judge_range_trends(results, ctx) if ctx.is_range else None
            # a range's changes to dates published before it are its first date's (where a late commit arrives)
            restating = ctx.of_date(ctx.dates[0]) if ctx.is_range else ctx
            restated = record_restatements(results, restating)
        except Exception:
            reconciled.result()  # its failure first, as when it ran before them
            raise
        reconciled.result()
        publishing = True
        publish_run(results, ctx, per_date)
        publishing = False
        report_restatements(restated, restating)
        write_run_report(restated, ctx)
        say(run_summary(ctx, results, time.monotonic() - began, position))
        if ctx.accept_trend:
            say("failed trend checks accepted: %s", ctx.accept_trend, level=logging.WARNING)
        say("Soda reports of the run: %s", gate.run_reports_dir(ctx.reports_label))
    except Exception as error:
        service = transient_service(error)
        if service is None:
            raise
        if service == SPARK:
            forget_session()
        state = ("its publish may be half done: readers still see the last complete publish, and the next run "
                 "completes it first" if publishing else "main is unchanged")
        raise RunFailedError(f"the run for {dates_named(ctx)} failed: {service} did not answer after {IO_RETRIES} "
                             f"retries ({fault_detail(error)}); {state}; start the service (`rainforest stack up`) "
                             "and run the date again") from error
    finally:
        soda_artifact(ctx)
    return per_date or {ctx.run_date: results}


def publish_quiet_dates(waiting: list[date], fingerprint: str) -> dict[date, list[TableResult]]:
    """The leading waiting dates that would change nothing (`tables.engine.quiet_dates`), published at once as the
    tables' mains hold them: no Spark work. Only right after the last published date, with no new table
    in the model and the tables read whole as the last publish extracted them (`fingerprint`: upstream's now)."""
    began = time.monotonic()
    rows, log_snapshot = protocol.log_state()
    published, release = protocol.published_dates(rows), protocol.last_release(rows)
    modelled = [spec.identifier for spec in all_tables()]
    consecutive = protocol.right_after_published(waiting, published)
    if (not consecutive or release is None or fingerprint != protocol.last_upstream_fingerprint(rows)
            or set(modelled) - set(release.snapshots)):
        return {}
    snapshot = upstream_snapshot()  # before the window queries: a row committed after it is the next run's
    busy = first_busy_date(consecutive, protocol.last_upstream_snapshot(rows), snapshot)
    quiet = [day for day in consecutive if busy is None or day < busy]
    if not quiet:
        return {}
    results = runner.as_main_holds(modelled)
    protocol.publish_unchanged(results, [RunContext(day, incremental=True, upstream_snapshot=snapshot,
                                                   upstream_fingerprint=fingerprint) for day in quiet],
                              log_snapshot)
    report_quiet_dates(quiet, time.monotonic() - began)
    return dict.fromkeys(quiet, results)


def range_dates(waiting: list[date], alone: set[date]) -> list[date]:
    """The leading waiting dates one range run takes: consecutive, unpublished, right after the last published
    date (a range is incremental), none to run alone, at most `RAINFOREST_RANGE_DAYS`."""
    following = protocol.right_after_published(waiting[:settings().range_days],
                                               protocol.published_dates(protocol.log_rows()))
    return list(takewhile(lambda day: day not in alone, following))


def ensure_days_over(dates: list[date]) -> None:
    """A day runs once it is over (UTC): a run for today or a later day would publish a partial day."""
    today = datetime.now(UTC).date()
    early = [day for day in dates if day >= today]
    if early:
        when = "is today" if early[0] == today else "is in the future"
        raise RainforestError(f"{early[0]} {when}: a day runs once it is over (UTC), the latest date that can run "
                              f"now is {today - timedelta(days=1)}; nothing was run")


def scheduled_run_date() -> date:
    """The day before the flow run's scheduled start (UTC): a late or queued run neither skips nor repeats a
    day. Outside a flow run (a plain call), the day before now."""
    scheduled = flow_run.scheduled_start_time
    start = scheduled if scheduled is not None else datetime.now(UTC)
    return start.astimezone(UTC).date() - timedelta(days=1)


def run_session() -> str | None:
    """The Spark session id of this flow run's attempt; outside a flow run (a plain call), the process's."""
    return run_session_id(flow_run.id, flow_run.run_count) if flow_run.id else None


def run_dates(dates: list[date], full_refresh: bool = False,
              accept_trend: str = "") -> dict[date, list[TableResult]]:
    """Under the writer lock: complete an interrupted publish, catch up unpublished dates before the first
    asked one, then run the dates in order (a failed day stops the rest). Failed trend checks are accepted
    only on the dates asked for."""
    began = time.monotonic()
    ensure_days_over(dates)
    check_services()
    master = live_session(run_session()).conf.get("spark.master")  # before the lock, which records the session
    with writer_lock(f"run of {dates[0]}" + (f" to {dates[-1]}" if len(dates) > 1 else "")):
        ensure_namespaces()
        say("Spark session %s on the Connect server %s:%d (master %s)", session_id(), settings().spark_connect_host,
            settings().spark_connect_port, master)
        resume_interrupted_publish()
        behind = protocol.dates_to_catch_up(dates[0], protocol.log_rows())
        if behind:
            say("%d earlier date(s) not published yet (%s to %s): running them first", len(behind), behind[0],
                behind[-1], level=logging.WARNING)
        done: dict[date, list[TableResult]] = {}
        days = [*behind, *dates]
        alone = {day for day in dates if full_refresh or accept_trend}  # as asked, each date its own run
        while len(done) < len(days):
            day, number = days[len(done)], len(done) + 1
            try:
                fingerprint = upstream_fingerprint()  # before anything of the dates is extracted
                quiet = publish_quiet_dates([d for d in days[len(done):] if not (full_refresh and d in dates)],
                                            fingerprint)
                if quiet:
                    done |= quiet
                    if dates[-1] in quiet:
                        write_run_report([], RunContext(dates[-1]))
                    continue
                together = range_dates(days[len(done):], alone)
                if len(together) > 1:
                    try:
                        done |= run_range(together, fingerprint, f"{number}–{number + len(together) - 1} of "
                                                                 f"{len(days)}")
                    except TrendFailsInRange as stop:
                        alone.add(stop.day)
                        say("%s; nothing of the range was published: the dates before %s run again as a range, "
                            "%s alone", stop, stop.day, stop.day, level=logging.WARNING)
                    except (QualityGateError, ReconciliationError) as error:
                        alone.update(together)
                        say("the range %s to %s failed its checks (%s); its dates run one by one, up to the one "
                            "that fails", together[0], together[-1], error, level=logging.WARNING)
                    continue
                done |= run_day(day, full_refresh and day in dates, fingerprint,
                                f"{number}/{len(days)}" if len(days) > 1 else "",
                                accept_trend if day in dates else "")
            except RainforestError as error:
                if day == dates[0] and not behind:
                    raise
                raise RunFailedError(f"stopped at {day} (published: {', '.join(map(str, done)) or 'none'}); "
                                     f"fix it and run `rainforest backfill --start {day} --end {dates[-1]}`:\n"
                                     f"{error}") from error
        if len(done) > 1:
            say("published %d dates, %s to %s, in %.0f s", len(done), days[0], days[-1], time.monotonic() - began)
        run_url = url_for("flow-run", obj_id=flow_run.id)  # None without a Prefect UI (a temporary server)
        if run_url:
            say("Prefect run: %s", run_url)
        return done


@flow(name="rainforest-daily")
def rainforest_daily(run_date: date | None = None, full_refresh: bool = False,
                     accept_trend: str = "") -> list[TableResult]:
    """The daily run for `run_date` (default: the day before the scheduled start). `accept_trend`: why the
    date publishes although its trend checks fail (a real spike); business rules are never accepted."""
    day = run_date or scheduled_run_date()
    return run_dates([day], full_refresh, accept_trend)[day]


@flow(name="rainforest-maintenance")
def rainforest_maintenance(retention_days: int = 7) -> list[dict[str, Any]]:
    """Table upkeep under the writer lock: compact small files, expire old snapshots, remove orphan files."""
    check_services()
    live_session(run_session())  # before the lock, which records the session
    with writer_lock("table upkeep"):
        resume_interrupted_publish()
        done = upkeep.maintain(get_spark(), timedelta(days=retention_days))
    for item in done:
        say("%-40s snapshots %5d → %-5d data files %6d → %-6d %5.1f s", item.table, *item.snapshots,
            *item.data_files, item.seconds)
    return [{"table": item.table, "snapshots": item.snapshots, "data_files": item.data_files} for item in done]


@flow(name="rainforest-backfill")
def rainforest_backfill(start: date, end: date) -> list[date]:
    """Run the daily flow for every day from start to end, in order; a failed day stops the backfill."""
    if end < start:
        raise RainforestError(f"end {end} is before start {start}")
    return [day for day in run_dates([start + timedelta(days=n) for n in range((end - start).days + 1)])
            if start <= day <= end]
