"""Bronze: one table per upstream table, raw columns + `_run_date`, `_ingested_at` (added by the runner).

Reference tables (users, sellers, products, categories, bridges, …) are bounded by the business, not by time:
every run reads them whole, so deletes and renames reach the lake. Tables that grow every day (orders, items,
clickstream, ratings) are read by window: rows created or updated on the run date."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.spec import Source, TableSpec, declare, layer_defaults

CREATED = ("created_ts",)
CREATED_OR_UPDATED = ("created_ts", "last_updated_ts")


def raw(source: DataFrame) -> DataFrame:
    """Bronze keeps upstream rows as they are."""
    return source


def bronze(table: str, keys: tuple[str, ...], window_columns: tuple[str, ...] = (),
           split_column: str | None = None) -> TableSpec:
    defaults = layer_defaults("bronze")
    return declare(TableSpec(table, "bronze", keys, raw, write_mode=defaults.write_mode,
                             partitioned_by=defaults.partitioned_by, audited=defaults.audited,
                             source=Source(table, window_columns, split_column)))


TABLES = (
    bronze("appuser", ("user_id",)),
    bronze("buyer", ("buyer_id",)),
    bronze("seller", ("seller_id",)),
    bronze("brand", ("brand_id",)),
    bronze("manufacturer", ("manufacturer_id",)),
    bronze("category", ("category_id",)),
    bronze("product", ("product_id",)),
    bronze("productcategory", ("product_id", "category_id")),
    bronze("sellerproduct", ("seller_id", "product_id")),
    bronze("ratings", ("ratings_id",), CREATED_OR_UPDATED, "ratings_id"),
    bronze("orders", ("order_id",), CREATED, "order_id"),
    bronze("orderitem", ("order_item_id",), CREATED, "order_item_id"),
    bronze("clickstream", ("event_id",), CREATED, "event_id"),
)
