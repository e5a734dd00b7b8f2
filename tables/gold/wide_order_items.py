"""One big table of order items: item ⨝ order ⨝ product ⨝ seller, with the product's categories."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Input, on_touched_dates, table


@table(
    keys=("order_item_id",),
    inputs={
        "fact_order_items": on_touched_dates("silver.fact_order_items"),
        "fact_orders": on_touched_dates("silver.fact_orders"),
        "dim_product": Input("silver.dim_product"),
        "dim_seller": Input("silver.dim_seller"),
        "product_x_category": Input("silver.product_x_category"),
        "dim_category": Input("silver.dim_category"),
    },
)
def wide_order_items(fact_order_items: DataFrame, fact_orders: DataFrame, dim_product: DataFrame,
                     dim_seller: DataFrame, product_x_category: DataFrame, dim_category: DataFrame) -> DataFrame:
    categories = (
        product_x_category.join(F.broadcast(dim_category.select("category_id", "category_name")), "category_id")
        .groupBy("product_id")
        .agg(F.array_sort(F.collect_list(F.struct("category_id", "category_name"))).alias("categories"))
    )
    orders = fact_orders.select("order_id", "buyer_id", "order_ts")
    products = dim_product.select("product_id", "product_name", "brand_name", "manufacturer_name")
    sellers = dim_seller.select("seller_id", F.col("username").alias("seller_username"))
    return (
        fact_order_items.join(orders, "order_id", "left")
        .join(F.broadcast(products), "product_id", "left")
        .join(F.broadcast(sellers), "seller_id", "left")
        .join(F.broadcast(categories), "product_id", "left")
        .select(
            "order_item_id", "order_id", "order_date", "order_ts", "buyer_id", "product_id", "product_name",
            "brand_name", "manufacturer_name", "seller_id", "seller_username", "quantity", "base_price", "tax",
            "revenue", "categories",
        )
    )
