"""Sellers with their app user (type-1: latest version of both)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.silver.app_users import join_app_user
from tables.spec import Input, Scope, table


@table(
    keys=("seller_id",),
    inputs={"seller": Input("bronze.seller", Scope.CHANGED), "appuser": Input("bronze.appuser", Scope.CHANGED)},
)
def dim_seller(seller: DataFrame, appuser: DataFrame) -> DataFrame:
    return join_app_user(seller, appuser, "seller_id", "first_time_sold_timestamp")
