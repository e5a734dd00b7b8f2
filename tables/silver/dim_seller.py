"""Sellers with their app user (type-1: latest version of both)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.silver.app_users import join_app_user
from tables.spec import Input, Scope, TableSpec


def dim_seller(seller: DataFrame, appuser: DataFrame) -> DataFrame:
    return join_app_user(seller, appuser, "seller_id", "first_time_sold_timestamp")


TABLE = TableSpec(
    name="dim_seller",
    layer="silver",
    keys=("seller_id",),
    transform=dim_seller,
    inputs={"seller": Input("bronze.seller", Scope.LATEST), "appuser": Input("bronze.appuser", Scope.LATEST)},
)
