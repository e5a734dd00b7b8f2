"""Read the published interface tables with pyiceberg through the REST catalog: no JVM, no Spark session."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from decimal import Decimal
from typing import Any

from infra.errors import RainforestError
from tables.engine.lake import catalog
from tables.publish.protocol import last_release
from tables.registry import all_tables
from tables.spec import Report, TableSpec


def reports() -> dict[str, TableSpec]:
    """Report name → the interface table that declares it."""
    return {spec.report.name: spec for spec in all_tables() if spec.report is not None}


def declared_report(name: str) -> Report:
    report = reports()[name].report
    assert report is not None
    return report


def report_rows(report: str, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Rows of a report as the last complete publish left it (never a half-done publish), between two order
    dates (inclusive), sorted by the table's keys as DESIGN.md §7 says."""
    spec = reports()[report]
    identifier, columns = spec.identifier, declared_report(report).columns
    release = last_release()
    if release is None or identifier not in release.snapshots:
        raise RainforestError(f"{identifier} is not published yet; run `rainforest run --date …` first")
    row_filter = f"order_date >= '{date_from.isoformat()}' AND order_date <= '{date_to.isoformat()}'"
    rows = rows_at(spec, release.snapshots[identifier], row_filter)
    return sorted(({column: row[column] for column in columns} for row in rows),
                  key=lambda row: tuple(row[key] for key in spec.keys))


def rows_at(spec: TableSpec, snapshot_id: int, row_filter: str = "True") -> list[dict[str, Any]]:
    """A report table's rows (its report's columns) at a snapshot."""
    assert spec.report is not None
    scan = catalog().load_table(spec.identifier).scan(row_filter=row_filter, selected_fields=spec.report.columns,
                                                      snapshot_id=snapshot_id)
    return scan.to_arrow().to_pylist()


def _cell(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(round(value, 2))
    return value.isoformat() if isinstance(value, date) else value


def render(report: str, rows: list[dict[str, Any]], fmt: str) -> str:
    columns = declared_report(report).columns
    if fmt == "json":
        return json.dumps([{c: _json_value(r[c]) for c in columns} for r in rows], indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(r[c]) for c in columns] for r in rows])
        return out.getvalue().rstrip("\n")
    cells = [[_cell(r[c]) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) if i and v.replace(".", "").isdigit() else v.ljust(w)
                        for i, (v, w) in enumerate(zip(row, widths, strict=True))) for row in cells]
    return "\n".join(lines)


def print_report(report: str, date_from: date, date_to: date, fmt: str) -> None:
    rows = report_rows(report, date_from, date_to)
    print(render(report, rows, fmt))
    if fmt == "table":
        print(f"({len(rows)} rows)", file=sys.stderr)
