"""silver.dim_category."""

from __future__ import annotations

from datetime import date

from pyspark.sql import SparkSession

from tables.silver.dim_category import dim_category

from ..frames import TS, first_row, frame


def test_dim_category_names_its_columns_for_the_reports_and_drops_ingestion_columns(spark: SparkSession) -> None:
    bronze = frame(spark, [(1, "Lamps", TS, TS, date(2026, 11, 1))],
                   "category_id long, name string, created_ts timestamp, last_updated_ts timestamp, _run_date date")
    out = dim_category(bronze)
    assert out.columns == ["category_id", "category_name", "created_ts", "last_updated_ts"]
    row = first_row(out)
    assert (row.category_id, row.category_name) == (1, "Lamps")
