"""Restatement diffs: what a run changes in report rows already published (late rows, renames, bridge changes, a
rerun after an upstream fix), old → new per changed figure, from Iceberg time travel between the last publish and
the run's audited snapshots.

Recorded in `meta.restatements` before the run publishes; a row counts once its run's publish is complete."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
from pyiceberg.exceptions import NoSuchTableError

from tables.engine import lake
from tables.engine.table_state import META_NAMESPACE, meta_table
from tables.read import reports
from tables.registry import all_tables
from tables.spec import RunContext, TableSpec

RESTATEMENTS = f"{META_NAMESPACE}.restatements"
SCHEMA = pa.schema([
    pa.field("run_id", pa.string()), pa.field("run_date", pa.date32()), pa.field("report", pa.string()),
    pa.field("order_date", pa.date32()), pa.field("row", pa.string()), pa.field("figure", pa.string()),
    pa.field("old", pa.string()), pa.field("new", pa.string()),
])
Rows = dict[tuple[Any, ...], dict[str, Any]]


def report_tables() -> list[TableSpec]:
    return [spec for spec in all_tables() if spec.report is not None]


def rows_at(spec: TableSpec, snapshot_id: int | None) -> Rows:
    """A report table's rows at a snapshot, by key."""
    if snapshot_id is None:
        return {}
    return {tuple(row[key] for key in spec.keys): row for row in reports.rows_at(spec, snapshot_id)}


def text(value: object) -> str:
    return "" if value is None else str(value)


def changes(spec: TableSpec, before: Rows, after: Rows, published_until: date) -> list[dict[str, Any]]:
    """Figures of rows on already published dates that differ, appeared or disappeared (a figure of a row that
    is gone reads as new ""). Rows of dates after `published_until` are new, not restated."""
    assert spec.report is not None
    figures = [column for column in spec.report.columns if column not in spec.keys]
    found = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, {}), after.get(key, {})
        order_date = (old or new)["order_date"]
        if order_date > published_until or old == new:
            continue
        label = ", ".join(f"{name}={value}" for name, value in zip(spec.keys, key, strict=True))
        found += [{"report": spec.report.name, "order_date": order_date, "row": label, "figure": figure,
                   "old": text(old.get(figure)), "new": text(new.get(figure))}
                  for figure in figures if text(old.get(figure)) != text(new.get(figure))]
    return found


def record(published: dict[str, int], published_until: date | None, audited: dict[str, int],
           ctx: RunContext) -> list[dict[str, Any]]:
    """Compare the published report tables (`published`: table → snapshot) with the run's (`audited`) and keep
    the differences in the lake; returns them."""
    if published_until is None:
        return []
    found = []
    for spec in report_tables():
        found += changes(spec, rows_at(spec, published.get(spec.identifier)), rows_at(spec, audited[spec.identifier]),
                         published_until)
    if found:
        rows = [{"run_id": ctx.branch, "run_date": ctx.run_date, **change} for change in found]
        meta_table(RESTATEMENTS, SCHEMA).append(pa.Table.from_pylist(rows, schema=SCHEMA))
    return found


def of_run(run_id: str) -> list[dict[str, Any]]:
    try:
        table = lake.thread_catalog().load_table(RESTATEMENTS)
    except NoSuchTableError:
        return []
    rows = table.scan(row_filter=f"run_id == '{run_id}'").to_arrow().to_pylist()
    return sorted(rows, key=lambda row: (row["report"], row["order_date"], row["row"], row["figure"]))


def render(rows: list[dict[str, Any]]) -> str:
    """`report  order_date  row  figure  old → new`, one line per restated figure."""
    return "\n".join(f"{row['report']:<10}  {row['order_date']!s}  {row['row']:<40}  {row['figure']:<16}  "
                     f"{row['old'] or '(none)'} → {row['new'] or '(none)'}" for row in rows)
