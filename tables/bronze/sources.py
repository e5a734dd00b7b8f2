"""Bronze: one table per upstream table, raw columns + `_run_date`, `_ingested_at` (added by the engine)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.spec import Source, TableSpec, WriteMode


def raw(source: DataFrame) -> DataFrame:
    """Bronze keeps upstream rows as they are."""
    return source


def bronze(table: str, keys: tuple[str, ...], changed_column: str | None, split_column: str | None = None) -> TableSpec:
    return TableSpec(
        name=table,
        layer="bronze",
        keys=keys,
        transform=raw,
        write_mode=WriteMode.OVERWRITE_PARTITIONS,
        partitioned_by=("_run_date",),
        source=Source(table, changed_column, split_column),
    )


TABLES = (
    bronze("orders", ("order_id",), "created_ts", "order_id"),
)
