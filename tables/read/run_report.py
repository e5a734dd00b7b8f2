"""The run report: one static HTML file per run, next to its Soda reports, viewable offline (charts are PNG images
inside the page): the order report as revenue and orders per day, the category report's average and median per
category for the run date, the checks of the run, its restatements, and the trend of the report tables' quality
metrics over the published days."""

from __future__ import annotations

import base64
import html
import io
import json
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from infra.private import private_dir, write_private  # noqa: E402
from tables.quality.gate import ACCEPTED, run_reports_dir, summarise  # noqa: E402
from tables.quality.trends import CHECK_PREFIX  # noqa: E402
from tables.registry import all_tables  # noqa: E402

Rows = list[dict[str, Any]]


def png(draw: Callable[[Figure], None], height: float = 3.6) -> str:
    """A chart as an <img> with the PNG inside the page."""
    figure = plt.figure(figsize=(10, height), dpi=100)
    try:
        draw(figure)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return f'<img alt="chart" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def by_date(axes: Axes) -> None:
    """A date axis with a handful of labelled ticks, however many days it spans: a label per day made drawing
    the page grow with history (0.65 s for 7 days, 1.64 s for 60)."""
    locator = AutoDateLocator(maxticks=10)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def orders_chart(orders: Rows) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        revenue = figure.add_subplot()
        days = [row["order_date"] for row in orders]
        revenue.bar(days, [float(row["total_revenue"]) for row in orders], width=0.8, color="#4c8c4a")
        revenue.set_ylabel("revenue (USD, bars)")
        count = revenue.twinx()
        count.plot(days, [row["order_count"] for row in orders], color="#1f3b73", marker="o")
        count.set_ylabel("orders (line)")
        count.set_ylim(bottom=0)
        revenue.set_title("Order report: revenue and orders per day")
        by_date(revenue)
    return draw


def categories_chart(categories: Rows, day: date) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        rows = [row for row in categories if row["order_date"] == day]
        positions = range(len(rows))
        axes.bar([p - 0.2 for p in positions], [float(r["average_revenue"]) for r in rows], 0.4, label="average")
        axes.bar([p + 0.2 for p in positions], [float(r["median_revenue"]) for r in rows], 0.4, label="median")
        axes.set_xticks(list(positions), [str(r["category_name"]) for r in rows], rotation=60, ha="right",
                        fontsize=7)
        axes.set_ylabel("item revenue (USD)")
        axes.set_title(f"Category report on {day}: average and median item revenue per category")
        axes.legend()
    return draw


TREND_CHARTS = 6


def trend_chart(history: dict[str, list[tuple[date, float]]]) -> Callable[[Figure], None]:
    """One panel per metric (its own scale), by published day, on one shared date axis."""
    def draw(figure: Figure) -> None:
        panels = figure.subplots(len(history), 1, sharex=True, squeeze=False)[:, 0]
        for axes, (label, points) in zip(panels, history.items(), strict=True):
            axes.plot([day for day, _ in points], [value for _, value in points], marker="o")
            axes.set_title(label, fontsize=9)
        by_date(panels[-1])
    return draw


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
                "<h2>Order report</h2>", png(orders_chart(orders)),
                "<h2>Category report</h2>", png(categories_chart(categories, run_date))
                if any(row["order_date"] == run_date for row in categories) else "<p>No sales on this date.</p>",
                "<h2>Checks of the run</h2>", checks,
                "<h2>Restatements</h2>", restatements_table(restated),
                "<h2>Quality metrics</h2>",
                png(trend_chart(history), 2.4 * len(history)) if history else "<p>No history yet.</p>"]
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
