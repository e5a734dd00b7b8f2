"""Silver and gold transforms on tiny hand-made DataFrames; expected values worked out by hand."""

from __future__ import annotations

import random
import statistics
from datetime import date, datetime
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

from pyspark.sql import DataFrame, SparkSession

from tables.gold.daily_category_metrics import daily_category_metrics
from tables.gold.daily_product_revenue import daily_product_revenue
from tables.gold.wide_order_items import wide_order_items
from tables.gold.wide_orders import wide_orders
from tables.interface.daily_category_report import daily_category_report
from tables.silver.dim_buyer import dim_buyer
from tables.silver.dim_product import dim_product
from tables.silver.fact_clickstream import fact_clickstream
from tables.silver.fact_order_items import fact_order_items

NOV1, NOV2 = date(2026, 11, 1), date(2026, 11, 2)
TS = datetime(2026, 11, 1, 10, 0)
ITEM_COLUMNS = "order_item_id long, order_id long, product_id long, seller_id long, quantity int, " \
               "base_price decimal(12,2), tax decimal(12,2), created_ts timestamp"


def frame(spark: SparkSession, rows: list[tuple], schema: str) -> DataFrame:
    return spark.createDataFrame(rows, schema)


def test_fact_order_items_takes_the_order_date_and_computes_revenue(spark: SparkSession) -> None:
    items = frame(spark, [(1, 100, 7, 3, 3, D("2.50"), D("0.60"), TS), (2, 100, 8, 3, 1, D("9.99"), D("0.80"), TS),
                          (3, 999, 7, 3, 1, D("1.00"), D("0.08"), TS)], ITEM_COLUMNS)
    orders = frame(spark, [(100, NOV2)], "order_id long, order_date date")
    rows = {r.order_item_id: r for r in fact_order_items(items, orders).collect()}
    assert rows[1].revenue == D("7.50") and rows[1].order_date == NOV2
    assert rows[2].revenue == D("9.99")
    assert rows[3].order_date is None  # unknown order: kept, so the referential check can fail loudly


def test_fact_clickstream_keeps_purchase_events_with_their_order(spark: SparkSession) -> None:
    events = frame(spark, [(1, 5, "view", 7, None, TS, None, TS), (2, 5, "purchase", None, 100, TS, None, TS)],
                   "event_id long, user_id long, event_type string, product_id long, order_id long, "
                   "event_ts timestamp, additional_details string, created_ts timestamp")
    purchase = fact_clickstream(events).where("event_type = 'purchase'").first()
    assert purchase.order_id == 100 and purchase.product_id is None


def test_dim_buyer_joins_buyer_to_its_user(spark: SparkSession) -> None:
    buyers = frame(spark, [(1, 11, None, TS, TS)], "buyer_id long, user_id long, "
                   "first_time_purchased_timestamp timestamp, created_ts timestamp, last_updated_ts timestamp")
    users = frame(spark, [(11, "ann", "ann@x", True, datetime(2026, 11, 2))], "user_id long, username string, "
                  "email string, is_active boolean, last_updated_ts timestamp")
    row = dim_buyer(buyers, users).first()
    assert (row.buyer_id, row.username, row.last_updated_ts) == (1, "ann", datetime(2026, 11, 2))


def test_dim_product_has_brand_manufacturer_and_rating_stats(spark: SparkSession) -> None:
    products = frame(spark, [(7, "Lamp", "d", D("5.00"), 1, 2, TS, TS), (8, "Desk", "d", D("9.00"), 1, 2, TS, TS)],
                     "product_id long, name string, description string, price decimal(12,2), brand_id long, "
                     "manufacturer_id long, created_ts timestamp, last_updated_ts timestamp")
    brands = frame(spark, [(1, "Acme", "US")], "brand_id long, name string, country string")
    makers = frame(spark, [(2, "Works", "OEM")], "manufacturer_id long, name string, type string")
    ratings = frame(spark, [(1, 7, D("4.0")), (2, 7, D("5.0")), (3, 7, D("3.5"))],
                    "ratings_id long, product_id long, rating decimal(3,1)")
    rows = {r.product_id: r for r in dim_product(products, brands, makers, ratings).collect()}
    assert (rows[7].brand_name, rows[7].manufacturer_name) == ("Acme", "Works")
    assert (rows[7].rating_average, rows[7].rating_count) == (D("4.17"), 3)
    assert (rows[8].rating_average, rows[8].rating_count) == (None, 0)


def category_inputs(spark: SparkSession) -> tuple[DataFrame, DataFrame, DataFrame]:
    # Order 100 (Nov 1) has three items; product 7 is in categories 1 and 2; category 3 sells nothing.
    items = frame(spark, [
        (1, 100, 7, D("7.50"), NOV1), (2, 100, 8, D("2.00"), NOV1), (3, 100, 8, D("4.00"), NOV1),
        (4, 101, 8, D("9.00"), NOV1), (5, 102, 7, D("1.00"), NOV2),
    ], "order_item_id long, order_id long, product_id long, revenue decimal(16,2), order_date date")
    bridge = frame(spark, [(7, 1), (7, 2), (8, 2)], "product_id long, category_id long")
    categories = frame(spark, [(1, "Lamps"), (2, "Home"), (3, "Garden")], "category_id long, category_name string")
    return items, bridge, categories


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
        assert row.median_revenue == statistics.median(revenues).quantize(six_places, ROUND_HALF_UP)
        assert row.average_revenue == (sum(revenues) / len(revenues)).quantize(six_places, ROUND_HALF_UP)


def test_wide_tables_join_orders_products_sellers_buyers(spark: SparkSession) -> None:
    items = frame(spark, [(1, 100, 7, 3, 2, D("2.50"), D("0.40"), D("5.00"), NOV1),
                          (2, 100, 8, 3, 1, D("1.00"), D("0.08"), D("1.00"), NOV1)],
                  "order_item_id long, order_id long, product_id long, seller_id long, quantity int, "
                  "base_price decimal(12,2), tax decimal(12,2), revenue decimal(16,2), order_date date")
    orders = frame(spark, [(100, 42, TS, NOV1, D("6.00"))],
                   "order_id long, buyer_id long, order_ts timestamp, order_date date, total_price decimal(14,2)")
    products = frame(spark, [(7, "Lamp", "Acme", "Works"), (8, "Desk", "Acme", "Works")],
                     "product_id long, product_name string, brand_name string, manufacturer_name string")
    sellers = frame(spark, [(3, "shop")], "seller_id long, username string")
    _, bridge, categories = category_inputs(spark)
    wide = {r.order_item_id: r for r in wide_order_items(items, orders, products, sellers, bridge,
                                                         categories).collect()}
    assert wide[1].buyer_id == 42 and wide[1].seller_username == "shop"
    assert [c.category_id for c in wide[1].categories] == [1, 2]
    buyers = frame(spark, [(42, "bob", "bob@x"), (3, "not-a-buyer", "x")],
                   "buyer_id long, username string, email string")
    order = wide_orders(orders, items, buyers).first()
    assert (order.buyer_username, order.item_count, order.items_revenue) == ("bob", 2, D("6.00"))


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
