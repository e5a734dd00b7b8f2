"""The run report's SVG charts: round scales that hold every figure, quiet days kept in place, well-formed SVG."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ElementTree
from datetime import date, timedelta

import pytest

from tables.read.charts import bars_and_line_by_day, every_day, grouped_bars, nice_ticks, panels_by_day, tick_label

NOV1 = date(2026, 11, 1)
SVG = "{http://www.w3.org/2000/svg}"


def svg_of(image: str) -> ElementTree.Element:
    match = re.fullmatch(r'<img alt="[^"]*" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)">', image)
    assert match, image[:120]
    return ElementTree.fromstring(base64.b64decode(match.group(1)))


@pytest.mark.parametrize(("low", "high", "expected"), [
    (0, 12345.67, [0, 2500, 5000, 7500, 10000, 12500]),
    (0, 2000, [0, 500, 1000, 1500, 2000]),
    (0.42, 0.58, [0.4, 0.45, 0.5, 0.55, 0.6]),
    (-3, 7, [-4, -2, 0, 2, 4, 6, 8]),
])
def test_ticks_are_round_and_hold_every_figure(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high) == pytest.approx(expected)


def test_a_flat_or_empty_series_still_gets_a_scale() -> None:
    assert nice_ticks(5, 5)[0] < 5 < nice_ticks(5, 5)[-1]
    assert nice_ticks(0, 0)[0] < 0 < nice_ticks(0, 0)[-1]


def test_tick_labels_show_the_step_s_decimals() -> None:
    assert [tick_label(value, [0.4, 0.45]) for value in (0.4, 0.45)] == ["0.40", "0.45"]
    assert tick_label(12500, [10000, 12500]) == "12,500"


def test_a_quiet_day_keeps_its_place_on_the_axis() -> None:
    days, (revenue,) = every_day({NOV1: 10.0, NOV1 + timedelta(days=2): 30.0})
    assert days == [NOV1, NOV1 + timedelta(days=1), NOV1 + timedelta(days=2)] and revenue == [10.0, None, 30.0]
    assert every_day({}, {}) == ([], [[], []])


def test_bars_and_a_line_one_per_day_and_the_line_breaks_on_a_quiet_day() -> None:
    revenue = {NOV1: 100.0, NOV1 + timedelta(days=2): 300.0, NOV1 + timedelta(days=3): 200.0}
    chart = svg_of(bars_and_line_by_day("orders", revenue, "revenue", {day: 2.0 for day in revenue}, "orders"))
    bars = [rect for rect in chart.iter(f"{SVG}rect") if rect.get("fill") == "#4c8c4a"]
    assert len(bars) == 3
    heights = {float(bar.get("x", 0)): float(bar.get("height", 0)) for bar in bars}
    assert [heights[x] / min(heights.values()) for x in sorted(heights)] == pytest.approx([1, 3, 2], rel=1e-2)
    assert [len(line.get("points", "").split()) for line in chart.iter(f"{SVG}polyline")] == [2]  # day 1 alone
    assert len(list(chart.iter(f"{SVG}circle"))) == 3


def test_grouped_bars_name_every_category_and_survive_markup_in_names() -> None:
    chart = svg_of(grouped_bars("categories", ["Lamps", "Tools & <Hardware>"],
                                {"average": [7.5, 3.0], "median": [7.0, 2.0]}, "USD"))
    words = [element.text for element in chart.iter(f"{SVG}text")]
    assert {"Lamps", "Tools & <Hardware>", "average", "median"} <= set(words)


def test_one_panel_per_metric_on_its_own_scale() -> None:
    chart = svg_of(panels_by_day({"rows": {NOV1: 1000.0, NOV1 + timedelta(days=1): 1100.0},
                                  "share": {NOV1 + timedelta(days=1): 0.5}}))
    words = [element.text for element in chart.iter(f"{SVG}text")]
    assert "rows" in words and "share" in words and "1,100" in words and "0.50" in words
    assert len(list(chart.iter(f"{SVG}circle"))) == 3
