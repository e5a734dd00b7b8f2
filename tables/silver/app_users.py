"""Buyers and sellers are both app users: the shared join of a role table to its (latest) app user."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def join_app_user(role: DataFrame, appuser: DataFrame, key: str, first_time_column: str) -> DataFrame:
    user = appuser.select("user_id", "username", "email", "is_active",
                          F.col("last_updated_ts").alias("user_last_updated_ts"))
    return role.join(user, "user_id", "left").select(
        key, "user_id", "username", "email", "is_active", first_time_column, "created_ts",
        F.greatest("last_updated_ts", "user_last_updated_ts").alias("last_updated_ts"),
    )
