"""Buyers with their app user (type-1: latest version of both)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.spec import Input, Scope, TableSpec


def dim_buyer(buyer: DataFrame, appuser: DataFrame) -> DataFrame:
    user = appuser.select("user_id", "username", "email", "is_active",
                          F.col("last_updated_ts").alias("user_last_updated_ts"))
    return buyer.join(user, "user_id", "left").select(
        "buyer_id", "user_id", "username", "email", "is_active", "first_time_purchased_timestamp", "created_ts",
        F.greatest("last_updated_ts", "user_last_updated_ts").alias("last_updated_ts"),
    )


TABLE = TableSpec(
    name="dim_buyer",
    layer="silver",
    keys=("buyer_id",),
    transform=dim_buyer,
    inputs={"buyer": Input("bronze.buyer", Scope.LATEST), "appuser": Input("bronze.appuser", Scope.LATEST)},
)
