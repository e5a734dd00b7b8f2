"""gold.wide_orders and gold.wide_order_items."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tables.gold.wide_order_items import wide_order_items
from tables.gold.wide_orders import wide_orders

from ..frames import NOV1, TS, D, category_inputs, first_row, frame


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
    order = first_row(wide_orders(orders, items, buyers))
    assert (order.buyer_username, order.item_count, order.items_revenue) == ("bob", 2, D("6.00"))
