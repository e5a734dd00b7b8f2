"""The run report: one static HTML file per run, next to its Soda reports, viewable offline (charts are SVG images
inside the page): the order report as revenue and orders per day, the category report's average and median per
category for the run date, the checks of the run, its restatements, and the trend of the report tables' quality
metrics over the published days."""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from infra.private import private_dir, write_private
from tables.quality.gate import ACCEPTED, run_reports_dir, summarise
from tables.quality.trends import CHECK_PREFIX
from tables.read.charts import bars_and_line_by_day, grouped_bars, panels_by_day
from tables.registry import all_tables

Rows = list[dict[str, Any]]


def orders_chart(orders: Rows) -> str:
    return bars_and_line_by_day("Order report: revenue and orders per day",
                                {row["order_date"]: float(row["total_revenue"]) for row in orders},
                                "revenue (USD, bars)",
                                {row["order_date"]: float(row["order_count"]) for row in orders}, "orders (line)")


def categories_chart(categories: Rows, day: date) -> str:
    rows = [row for row in categories if row["order_date"] == day]
    return grouped_bars(f"Category report on {day}: average and median item revenue per category",
                        [str(row["category_name"]) for row in rows],
                        {"average": [float(row["average_revenue"]) for row in rows],
                         "median": [float(row["median_revenue"]) for row in rows]}, "item revenue (USD)")


TREND_CHARTS = 6


def checks_table(reports_dir: Path) -> str:
    """Checks per table: passed, warned, failed, failed trends accepted (from the run's Soda JSON reports)."""
    lines = ["<table><tr><th>table</th><th>passed</th><th>warned</th><th>failed</th><th>accepted</th></tr>"]
    for report in sorted(reports_dir.glob("*.json")):
        outcomes = Counter(str(check["outcome"]) for check in summarise(json.loads(report.read_text())))
        lines.append(f"<tr><td>{html.escape(report.stem)}</td><td>{outcomes['pass']}</td>"
                     f"<td>{outcomes['warn']}</td><td>{outcomes['fail']}</td><td>{outcomes[ACCEPTED]}</td></tr>")
    return "\n".join([*lines, "</table>"])


def restatements_table(restated: Rows) -> str:
    if not restated:
        return "<p>Nothing already published changed.</p>"
    lines = ["<table><tr><th>report</th><th>order date</th><th>row</th><th>figure</th><th>old</th><th>new</th></tr>"]
    lines += [f"<tr><td>{row['report']}</td><td>{row['order_date']}</td><td>{html.escape(row['row'])}</td>"
              f"<td>{row['figure']}</td><td>{html.escape(row['old'])}</td><td>{html.escape(row['new'])}</td></tr>"
              for row in restated]
    return "\n".join([*lines, "</table>"])


def metric_tables() -> list[str]:
    """The tables whose metrics are worth a trend: those with trend checks, and those the report tables are
    computed from."""
    trended = {spec.identifier for spec in all_tables() if spec.trend is not None}
    return sorted(trended | {item.table for spec in all_tables() if spec.report for item in spec.inputs.values()})


def metric_history(dq_rows: Rows) -> dict[str, list[tuple[date, float]]]:
    """The metrics worth a trend: trend checks first, then those with a value other than zero (a count of missing
    or duplicate keys that stays 0 is in the checks table), at most TREND_CHARTS of them."""
    series: dict[str, list[tuple[date, float]]] = {}
    for row in sorted(dq_rows, key=lambda row: row["run_date"]):
        if row["value"] is not None:
            series.setdefault(f"{row['table_name']}: {row['check_name']}", []).append((row["run_date"], row["value"]))
    worth = sorted(((f": {CHECK_PREFIX}" not in label, label), points) for label, points in series.items()
                   if any(value for _, value in points))
    return {label: points for (_, label), points in worth[:TREND_CHARTS]}


def render(run_date: date, orders: Rows, categories: Rows, checks: str, restated: Rows,
           history: dict[str, list[tuple[date, float]]]) -> str:
    sections = [f"<h1>Rainforest run for {run_date}</h1>",
                "<h2>Order report</h2>", orders_chart(orders),
                "<h2>Category report</h2>", categories_chart(categories, run_date)
                if any(row["order_date"] == run_date for row in categories) else "<p>No sales on this date.</p>",
                "<h2>Checks of the run</h2>", checks,
                "<h2>Restatements</h2>", restatements_table(restated),
                "<h2>Quality metrics</h2>",
                panels_by_day({label: dict(points) for label, points in history.items()}) if history
                else "<p>No history yet.</p>"]
    style = ("body{font-family:sans-serif;margin:2em;max-width:1100px} table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left} img{max-width:100%}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Rainforest {run_date}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(sections) + "\n</body></html>\n")


def write(reports_label: str, run_date: date, orders: Rows, categories: Rows, restated: Rows,
          dq_rows: Rows, accept_trend: str = "") -> Path:
    folder = private_dir(run_reports_dir(reports_label))  # a run that audited nothing made none
    accepted = f"<p><b>Failed trend checks accepted:</b> {html.escape(accept_trend)}</p>" if accept_trend else ""
    page = render(run_date, orders, categories, accepted + checks_table(folder), restated, metric_history(dq_rows))
    path = folder / "run_report.html"
    write_private(path, page)
    return path
