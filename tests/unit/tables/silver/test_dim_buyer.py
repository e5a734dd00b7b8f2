"""silver.dim_buyer."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import SparkSession

from tables.silver.dim_buyer import dim_buyer

from ..frames import TS, first_row, frame


def test_dim_buyer_joins_buyer_to_its_user(spark: SparkSession) -> None:
    buyers = frame(spark, [(1, 11, None, TS, TS)], "buyer_id long, user_id long, "
                   "first_time_purchased_timestamp timestamp, created_ts timestamp, last_updated_ts timestamp")
    users = frame(spark, [(11, "ann", "ann@x", True, datetime(2026, 11, 2))], "user_id long, username string, "
                  "email string, is_active boolean, last_updated_ts timestamp")
    row = first_row(dim_buyer(buyers, users))
    assert (row.buyer_id, row.username, row.last_updated_ts) == (1, "ann", datetime(2026, 11, 2))
