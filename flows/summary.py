"""What a run tells its user: the console lines (one per table, one summary per run) and the Prefect artifacts
(Soda checks, restatements, a range's trend checks, quiet dates, the link to the HTML run report)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.console import say
from infra.errors import fault_detail
from tables.engine.results import TableResult
from tables.publish import protocol
from tables.quality import dq_history, gate, trends
from tables.read import run_report
from tables.read.reports import report_rows
from tables.spec import RunContext

REPORT_DAYS = 60  # the run report's charts show this many days up to the run date


def table_line(result: TableResult) -> str:
    """`layer  table  rows written  rows in the table  checks  seconds`, aligned across a run's lines."""
    layer, name = result.table.split(".", 1)
    if result.unchanged:
        work = f"{'inputs unchanged, main kept':>36}"
    else:
        work = f"{result.records_added:>11,} rows written"
    passed = sum(check["outcome"] == "pass" for check in result.checks)
    warned = sum(check["outcome"] == "warn" for check in result.checks)
    checks = f"{passed:>3} checks passed" if result.checks else f"{'no checks':>16}"
    checks += f", {warned} warned" if warned else ""
    return f"{layer:<9} {name:<24} {work} {result.total_rows:>11,} in table {checks}  {result.seconds:5.1f} s"


def dates_named(ctx: RunContext) -> str:
    return f"{ctx.dates[0]} to {ctx.run_date}" if ctx.is_range else str(ctx.run_date)


def run_summary(ctx: RunContext, results: list[TableResult], seconds: float, position: str) -> str:
    checks = [check["outcome"] for result in results for check in result.checks]
    warned, accepted = checks.count("warn"), checks.count(gate.ACCEPTED)
    where = f" ({'dates' if ctx.is_range else 'day'} {position})" if position else ""
    return (f"{dates_named(ctx)} published{where}: {len(results)} tables, "
            f"{sum(r.records_added for r in results):,} rows written, {checks.count('pass')} checks passed"
            f"{f', {warned} warned' if warned else ''}{f', {accepted} accepted' if accepted else ''}, "
            f"in {seconds:.0f} s")


def report_restatements(restated: list[dict[str, Any]], ctx: RunContext) -> None:
    if restated:
        say("%d published figure(s) restated, see `rainforest diff --run %s`", len(restated), ctx.branch)
    else:
        say("nothing already published changed")
    create_table_artifact([{key: str(value) for key, value in row.items()} for row in restated]
                          or [{"restated": "nothing already published changed"}],
                          key=f"restatements-{ctx.run_date:%Y%m%d}",
                          description=f"Report figures already published that the run for {ctx.run_date} changed")


def write_run_report(restated: list[dict[str, Any]], ctx: RunContext) -> None:
    """The run's HTML report, once it published; a report that cannot be written is a warning, not a failure
    (the run's tables are published already)."""
    try:
        complete = protocol.complete_runs(protocol.log_rows())
        first = ctx.run_date - timedelta(days=REPORT_DAYS - 1)
        dq_rows = dq_history.history(run_report.metric_tables(), complete, ctx.run_date, REPORT_DAYS)
        path = run_report.write(ctx.reports_label, ctx.run_date, report_rows("orders", first, ctx.run_date),
                                report_rows("categories", ctx.run_date, ctx.run_date), restated, dq_rows,
                                ctx.accept_trend)
    except Exception as error:  # the publish is done: say what failed and go on
        say("the run report was not written: %s", fault_detail(error), level=logging.WARNING)
        return
    say("Run report: %s", path)
    create_markdown_artifact(f"[Run report for {ctx.run_date}]({path.as_uri()}): one HTML file, open it in a "
                             f"browser (`{path}`)", key=f"run-report-{ctx.run_date:%Y%m%d}",
                             description=f"Charts, checks and restatements of the run for {ctx.run_date}")


def range_trends_artifact(judged: dict[str, trends.JudgedDates], ctx: RunContext) -> None:
    create_table_artifact([{"date": str(day), **{table: ", ".join(f"{check['check']} {check['value']} "
                                                                   f"{check['outcome']}" for check in item.checks[day])
                                                 for table, item in judged.items()}} for day in ctx.dates],
                          key=f"range-trends-{ctx.dates[0]:%Y%m%d}-{ctx.run_date:%Y%m%d}",
                          description="Each date's trend checks in the range run")


def soda_artifact(ctx: RunContext) -> None:
    create_markdown_artifact(gate.markdown_summary(ctx.reports_label, ctx.accept_trend),
                             key=f"soda-run-{ctx.run_date:%Y%m%d}",
                             description=f"Soda checks of the run for {dates_named(ctx)}")


def report_quiet_dates(quiet: list[date], seconds: float) -> None:
    say("%s: %d date(s) with nothing new upstream, published as the tables are (no Spark work) in %.1f s",
        quiet[0] if len(quiet) == 1 else f"{quiet[0]} to {quiet[-1]}", len(quiet), seconds)
    create_table_artifact([{"date": str(day), "published": "as the tables were: nothing new upstream"}
                           for day in quiet], key=f"quiet-dates-{quiet[0]:%Y%m%d}-{quiet[-1]:%Y%m%d}",
                          description="Dates published without Spark work (tables/engine/quiet_dates.py)")
