"""The category report's path: gold.daily_product_revenue → gold.daily_category_metrics →
interface.daily_category_report."""

from __future__ import annotations

import random
import statistics
from datetime import date
from decimal import ROUND_HALF_UP

from pyspark.sql import DataFrame, SparkSession

from tables.gold.daily_category_metrics import daily_category_metrics
from tables.gold.daily_product_revenue import daily_product_revenue
from tables.interface.daily_category_report import daily_category_report

from ..frames import NOV1, NOV2, D, category_inputs, frame


def category_metrics(items: DataFrame, bridge: DataFrame, categories: DataFrame) -> DataFrame:
    """The gold path of the category report: items → per-product revenue counts → categories."""
    return daily_category_metrics(daily_product_revenue(items), bridge, categories)


def test_daily_category_metrics_exact_median_and_multi_category_products(spark: SparkSession) -> None:
    rows = {(r.order_date, r.category_id): r for r in category_metrics(*category_inputs(spark)).collect()}
    assert set(rows) == {(NOV1, 1), (NOV1, 2), (NOV2, 1), (NOV2, 2)}  # Garden sold nothing: no row
    home = rows[(NOV1, 2)]  # revenues 7.50, 2.00, 4.00, 9.00 -> even count, median (4.00 + 7.50) / 2
    assert home.item_count == 4
    assert home.average_revenue == D("5.625")
    assert home.median_revenue == D("5.75")
    assert rows[(NOV1, 1)].median_revenue == D("7.50")  # a single item
    report = {(r.order_date, r.category_id): r for r in daily_category_report(category_metrics(
        *category_inputs(spark))).collect()}
    assert report[(NOV1, 2)].average_revenue == D("5.63")  # rounded half up, only at the interface
    assert report[(NOV1, 2)].category_name == "Home"


def test_daily_category_metrics_agree_with_exact_arithmetic_on_repeated_values(spark: SparkSession) -> None:
    """Many items sharing few revenue values (as real days do): median and mean from value counts must equal
    the exact median and mean over every item, rounded half up to the metric's 6 decimals."""
    generator = random.Random(7)
    items = [(i, i, generator.choice([7, 8, 9]), D(generator.choice(["1.00", "2.50", "2.50", "7.99", "12.00"]))
              * generator.randint(1, 3), generator.choice([NOV1, NOV2])) for i in range(1, 400)]
    item_frame = frame(spark, items, "order_item_id long, order_id long, product_id long, revenue decimal(16,2), "
                       "order_date date")
    bridge = frame(spark, [(7, 1), (8, 1), (8, 2), (9, 2)], "product_id long, category_id long")
    categories = frame(spark, [(1, "Lamps"), (2, "Home")], "category_id long, category_name string")
    expected: dict[tuple[date, int], list[D]] = {}
    for _, _, product, revenue, day in items:
        for category in {7: [1], 8: [1, 2], 9: [2]}[product]:
            expected.setdefault((day, category), []).append(revenue)
    six_places = D("0.000001")
    rows = category_metrics(item_frame, bridge, categories).collect()
    assert {(r.order_date, r.category_id) for r in rows} == set(expected)
    for row in rows:
        revenues = expected[(row.order_date, row.category_id)]
        assert row.item_count == len(revenues)
        assert row.median_revenue == D(statistics.median(revenues)).quantize(six_places, ROUND_HALF_UP)
        assert row.average_revenue == (sum(revenues, D(0)) / len(revenues)).quantize(six_places, ROUND_HALF_UP)


def test_category_metrics_follow_the_current_bridge_and_names(spark: SparkSession) -> None:
    """Membership and names are joined last: the same revenue counts under a changed bridge and a renamed
    category give the figures of the new membership (a deleted bridge row stops counting)."""
    items, _, _ = category_inputs(spark)
    counts = daily_product_revenue(items)
    bridge = frame(spark, [(7, 1), (8, 1)], "product_id long, category_id long")  # 7 left category 2, 8 moved to 1
    categories = frame(spark, [(1, "Lights"), (2, "Home")], "category_id long, category_name string")
    rows = {(r.order_date, r.category_id): r for r in daily_category_metrics(counts, bridge, categories).collect()}
    assert set(rows) == {(NOV1, 1), (NOV2, 1)}
    assert (rows[(NOV1, 1)].category_name, rows[(NOV1, 1)].item_count) == ("Lights", 4)
    assert rows[(NOV1, 1)].median_revenue == D("5.75")  # 2.00, 4.00, 7.50, 9.00
