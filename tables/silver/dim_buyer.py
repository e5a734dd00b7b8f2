"""Buyers with their app user (type-1: latest version of both)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.silver.app_users import join_app_user
from tables.spec import Input, Scope, table


@table(
    keys=("buyer_id",),
    inputs={"buyer": Input("bronze.buyer", Scope.CHANGED), "appuser": Input("bronze.appuser", Scope.CHANGED)},
)
def dim_buyer(buyer: DataFrame, appuser: DataFrame) -> DataFrame:
    return join_app_user(buyer, appuser, "buyer_id", "first_time_purchased_timestamp")
