"""Quality history: every check of every published run, one row per check, in the lake (`meta.dq_metrics`).

Rows are appended as a run publishes, before its intent is logged, once per run (a retried publish finds its
snapshot); a row counts once its run's publish is complete (`tables.publish.protocol`), so an attempt that died before
completing never shows in the history."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
from pyiceberg.exceptions import NoSuchTableError

from tables.engine import lake
from tables.engine.results import TableResult
from tables.engine.table_state import META_NAMESPACE, meta_table
from tables.spec import RunContext

DQ_METRICS = f"{META_NAMESPACE}.dq_metrics"
RUN_PROPERTY = "rainforest.run-id"  # in the summary of the snapshot that appended a run's checks
SCHEMA = pa.schema([
    pa.field("run_id", pa.string()), pa.field("run_date", pa.date32()), pa.field("attempt", pa.string()),
    pa.field("table_name", pa.string()), pa.field("check_name", pa.string()), pa.field("value", pa.float64()),
    pa.field("outcome", pa.string()),
])


def numeric(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def record(results: list[TableResult], ctx: RunContext) -> None:
    record_runs([(ctx, results)], ctx.branch)


def record_runs(runs: list[tuple[RunContext, list[TableResult]]], run_id: str) -> None:
    """The checks of the dates one run publishes (a range run: each date's), in one append."""
    rows = [{"run_id": ctx.branch, "run_date": ctx.run_date, "attempt": f"{ctx.started_at}_{ctx.attempt}",
             "table_name": result.table, "check_name": str(check["check"]), "value": numeric(check["value"]),
             "outcome": str(check["outcome"])}
            for ctx, results in runs for result in results for check in result.checks]
    if not rows:
        return
    table = meta_table(DQ_METRICS, SCHEMA)
    if any(snapshot.summary is not None and snapshot.summary.get(RUN_PROPERTY) == run_id
           for snapshot in table.snapshots()):
        return  # a retried publish: this run's checks went in before its first attempt failed
    table.append(pa.Table.from_pylist(rows, schema=SCHEMA), snapshot_properties={RUN_PROPERTY: run_id})


def history(tables: Collection[str], complete_runs: dict[str, date], until: date, days: int) -> list[dict[str, Any]]:
    """The checks of these tables in the last `days` dates up to `until` (one scan), each table's date from the
    last complete run that checked it (a rerun that found nothing changed checks nothing), oldest first."""
    try:
        metrics = lake.thread_catalog().load_table(DQ_METRICS)
    except NoSuchTableError:
        return []
    since, names = until - timedelta(days=days - 1), ", ".join(f"'{table}'" for table in sorted(tables))
    rows = metrics.scan(row_filter=f"table_name IN ({names}) AND run_date >= '{since}' AND "
                                   f"run_date <= '{until}'").to_arrow().to_pylist()
    order = {run_id: position for position, run_id in enumerate(complete_runs)}  # complete runs in publish order
    last_run: dict[tuple[str, date], str] = {}
    for row in rows:
        checked = (row["table_name"], row["run_date"])
        if row["run_id"] in order and order[row["run_id"]] >= order.get(last_run.get(checked, ""), -1):
            last_run[checked] = row["run_id"]
    kept = [row for row in rows if last_run.get((row["table_name"], row["run_date"])) == row["run_id"]]
    return sorted(kept, key=lambda row: (row["run_date"], row["table_name"], row["check_name"]))


def render(rows: list[dict[str, Any]]) -> str:
    """`run_date  check  value  outcome`, one line per check and date."""
    width = max([len("check"), *(len(row["check_name"]) for row in rows)])
    lines = [f"{'run_date':<10}  {'check':<{width}}  {'value':>14}  outcome"]
    for row in rows:
        value = "" if row["value"] is None else f"{row['value']:,.2f}".rstrip("0").rstrip(".")
        lines.append(f"{row['run_date']!s:<10}  {row['check_name']:<{width}}  {value:>14}  {row['outcome']}")
    return "\n".join(lines)
