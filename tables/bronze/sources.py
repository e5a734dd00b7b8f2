"""Bronze: one table per upstream table, raw columns + `_run_date`, `_ingested_at` (added by the engine)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.spec import Source, TableSpec, WriteMode


def raw(source: DataFrame) -> DataFrame:
    """Bronze keeps upstream rows as they are."""
    return source


def bronze(table: str, keys: tuple[str, ...], changed_column: str | None, split_column: str | None = None,
           created_column: str | None = "created_ts") -> TableSpec:
    return TableSpec(
        name=table,
        layer="bronze",
        keys=keys,
        transform=raw,
        write_mode=WriteMode.OVERWRITE_PARTITIONS,
        partitioned_by=("_run_date",),
        source=Source(table, changed_column, split_column, created_column),
    )


TABLES = (
    bronze("appuser", ("user_id",), "last_updated_ts"),
    bronze("buyer", ("buyer_id",), "last_updated_ts"),
    bronze("seller", ("seller_id",), "last_updated_ts"),
    bronze("brand", ("brand_id",), "last_updated_ts"),
    bronze("manufacturer", ("manufacturer_id",), "last_updated_ts"),
    bronze("category", ("category_id",), "last_updated_ts"),
    bronze("product", ("product_id",), "last_updated_ts"),
    bronze("ratings", ("ratings_id",), "last_updated_ts", "ratings_id"),
    bronze("productcategory", ("product_id", "category_id"), "last_updated_ts"),
    bronze("sellerproduct", ("seller_id", "product_id"), changed_column=None, created_column=None),
    bronze("orders", ("order_id",), "created_ts", "order_id"),
    bronze("orderitem", ("order_item_id",), "created_ts", "order_item_id"),
    bronze("clickstream", ("event_id",), "created_ts", "event_id"),
)
