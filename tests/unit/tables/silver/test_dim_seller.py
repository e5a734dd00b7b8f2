"""silver.dim_seller."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import SparkSession

from tables.silver.dim_seller import dim_seller

from ..frames import TS, frame

SELLER_COLUMNS = ("seller_id long, user_id long, first_time_sold_timestamp timestamp, created_ts timestamp, "
                  "last_updated_ts timestamp")
USER_COLUMNS = "user_id long, username string, email string, is_active boolean, last_updated_ts timestamp"


def test_dim_seller_takes_its_user_and_the_later_of_both_updates(spark: SparkSession) -> None:
    sellers = frame(spark, [(3, 11, TS, TS, datetime(2026, 11, 3)), (4, 12, TS, TS, TS)], SELLER_COLUMNS)
    users = frame(spark, [(11, "shop", "shop@x", True, datetime(2026, 11, 2))], USER_COLUMNS)
    rows = {row.seller_id: row for row in dim_seller(sellers, users).collect()}
    assert (rows[3].username, rows[3].last_updated_ts) == ("shop", datetime(2026, 11, 3))  # the seller's is later
    assert (rows[4].username, rows[4].last_updated_ts) == (None, TS)  # no user row yet: the seller stays
