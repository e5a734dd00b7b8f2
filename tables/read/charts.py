"""The run report's charts as SVG images inside the page: bars, lines and axes drawn from the figures alone. A
page's charts take milliseconds; matplotlib took about 2.5 s of every run's CPU to import and draw them."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

WIDTH = 1000
DATE_LABELS = 10  # at most, however many days a chart spans
COLOURS = ("#4c8c4a", "#1f3b73", "#d9822b")
Series = Sequence[float | None]  # None: no figure in that slot (a day without rows)


def image(width: int, height: int, elements: list[str], label: str) -> str:
    """An <img> with the SVG inside the page (a browser sizes it from its width and height)."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">'
           f'<rect width="{width}" height="{height}" fill="white"/>{"".join(elements)}</svg>')
    return f'<img alt="{html.escape(label)}" src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}">'


def text(x: float, y: float, words: str, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{html.escape(words)}</text>'


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 × 10ⁿ) from at or below `low` to at or above `high`."""
    if not math.isfinite(low) or not math.isfinite(high):
        low, high = 0.0, 1.0
    if high <= low:
        low, high = low - (abs(low) * 0.1 or 1.0), high + (abs(high) * 0.1 or 1.0)
    raw = (high - low) / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [n * step for n in range(first, last + 1)]


def tick_label(value: float, ticks: list[float]) -> str:
    step = ticks[1] - ticks[0]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    return f"{value:,.{decimals}f}"


@dataclass(frozen=True)
class Area:
    """A plotting area in pixels; x is a slot per category or day, y a value on `ticks`."""
    left: float
    top: float
    width: float
    height: float

    def x(self, slot: float, slots: int) -> float:
        return self.left + self.width * (slot + 0.5) / max(slots, 1)

    def y(self, value: float, ticks: list[float]) -> float:
        return self.top + self.height * (1 - (value - ticks[0]) / (ticks[-1] - ticks[0]))

    @property
    def bottom(self) -> float:
        return self.top + self.height


def value_axis(area: Area, ticks: list[float], label: str, right: bool = False) -> list[str]:
    """Tick labels on one side; the left axis also draws the grid lines."""
    x = area.left + area.width + 6 if right else area.left - 6
    elements = []
    for value in ticks:
        y = area.y(value, ticks)
        if not right:
            elements.append(f'<line x1="{area.left}" x2="{area.left + area.width}" y1="{y:.1f}" y2="{y:.1f}" '
                            'stroke="#ddd"/>')
        elements.append(text(x, y + 4, tick_label(value, ticks), "start" if right else "end"))
    if label:
        centre_x, centre_y = (area.left + area.width + 70 if right else area.left - 70), area.top + area.height / 2
        elements.append(text(centre_x, centre_y, label, extra=f'transform="rotate(-90 {centre_x} {centre_y})"'))
    return elements


def date_axis(area: Area, days: Sequence[date]) -> list[str]:
    """A handful of labelled days, however many the chart spans (a label per day would overlap)."""
    every = max(1, math.ceil(len(days) / DATE_LABELS))
    return [text(area.x(slot, len(days)), area.bottom + 16, day.isoformat())
            for slot, day in enumerate(days) if slot % every == 0]


def bars(area: Area, values: Series, ticks: list[float], colour: str, offset: float = 0.0,
         share: float = 0.8) -> list[str]:
    """One bar per slot, `share` of the slot wide, shifted by `offset` slots (grouped bars)."""
    slot_width = area.width / max(len(values), 1)
    zero = area.y(max(ticks[0], min(0.0, ticks[-1])), ticks)
    elements = []
    for slot, value in enumerate(values):
        if value is None:
            continue
        top = area.y(value, ticks)
        elements.append(f'<rect x="{area.x(slot + offset, len(values)) - slot_width * share / 2:.1f}" '
                        f'y="{min(top, zero):.1f}" width="{slot_width * share:.1f}" height="{abs(zero - top):.1f}" '
                        f'fill="{colour}"/>')
    return elements


def line(area: Area, values: Series, ticks: list[float], colour: str) -> list[str]:
    """A line through the figures, with a marker on each; it breaks where a slot has none."""
    points = [(area.x(slot, len(values)), area.y(value, ticks)) if value is not None else None
              for slot, value in enumerate(values)]
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [*(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in run)}" fill="none" stroke="{colour}" '
              'stroke-width="1.5"/>' for run in runs if len(run) > 1),
            *(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for run in runs for x, y in run)]


def every_day(*series: dict[date, float]) -> tuple[list[date], list[list[float | None]]]:
    """Days from the first to the last any series has, and each series' figure on them (None on a day it
    lacks), so that a quiet day keeps its place on the axis."""
    present = sorted({day for points in series for day in points})
    if not present:
        return [], [[] for _ in series]
    days = [present[0] + timedelta(days=offset) for offset in range((present[-1] - present[0]).days + 1)]
    return days, [[points.get(day) for day in days] for points in series]


def scale(values: Series, count: int = 5, from_zero: bool = True) -> list[float]:
    figures = [value for value in values if value is not None]
    if from_zero:
        figures.append(0.0)
    return nice_ticks(min(figures, default=0.0), max(figures, default=1.0), count)


def frame(area: Area) -> str:
    return (f'<rect x="{area.left}" y="{area.top}" width="{area.width}" height="{area.height}" fill="none" '
            'stroke="#888"/>')


def title(words: str, y: float = 18) -> str:
    return text(WIDTH / 2, y, words, extra='font-size="13" font-weight="bold"')


def bars_and_line_by_day(heading: str, bar_points: dict[date, float], bar_label: str,
                         line_points: dict[date, float], line_label: str) -> str:
    """Bars on the left scale and a line on the right one, one slot per day."""
    area = Area(90, 30, WIDTH - 180, 280)
    days, (bar_values, line_values) = every_day(bar_points, line_points)
    left, right = scale(bar_values), scale(line_values)
    elements = [title(heading), *value_axis(area, left, bar_label), *value_axis(area, right, line_label, True),
                *bars(area, bar_values, left, COLOURS[0]), *line(area, line_values, right, COLOURS[1]),
                frame(area), *date_axis(area, days)]
    return image(WIDTH, 340, elements, heading)


def grouped_bars(heading: str, categories: Sequence[str], groups: dict[str, Series], value_label: str) -> str:
    """Bars side by side per category, a legend of the groups, category names slanted below."""
    area = Area(90, 50, WIDTH - 120, 240)
    ticks = scale([value for series in groups.values() for value in series])
    share = 0.8 / max(len(groups), 1)
    elements = [title(heading), *value_axis(area, ticks, value_label)]
    for number, (name, series) in enumerate(groups.items()):
        offset, colour = (number - (len(groups) - 1) / 2) * share, COLOURS[number % len(COLOURS)]
        elements += bars(area, series, ticks, colour, offset, share)
        legend_x = area.left + area.width - 90 * (len(groups) - number)
        elements += [f'<rect x="{legend_x}" y="32" width="12" height="10" fill="{colour}"/>',
                     text(legend_x + 16, 41, name, "start")]
    elements.append(frame(area))
    for slot, name in enumerate(categories):
        x, y = area.x(slot, len(categories)), area.bottom + 10
        elements.append(text(x, y, name, "end", f'font-size="9" transform="rotate(-60 {x:.1f} {y:.1f})"'))
    return image(WIDTH, 420, elements, heading)


def panels_by_day(panels: dict[str, dict[date, float]]) -> str:
    """One small line chart per series, each on its own scale, on one shared day axis (labelled at the bottom)."""
    height, elements = 150, []
    days, series = every_day(*panels.values())
    areas = [Area(90, number * height + 26, WIDTH - 120, height - 46) for number in range(len(panels))]
    for area, label, values in zip(areas, panels, series, strict=True):
        ticks = scale(values, 3, from_zero=False)
        elements += [text(WIDTH / 2, area.top - 8, label, extra='font-size="11" font-weight="bold"'),
                     *value_axis(area, ticks, ""), *line(area, values, ticks, COLOURS[1]), frame(area)]
    elements += date_axis(areas[-1], days)
    return image(WIDTH, len(panels) * height + 10, elements, "quality metrics by published day")
