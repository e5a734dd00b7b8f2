"""One row per clickstream event (the seed never built it). Events are insert-only upstream: a run replaces its
window (the events created on its date) instead of merging by event_id."""

from __future__ import annotations

from pyspark.sql import DataFrame

from tables.spec import Input, Scope, TrendRule, WriteMode, table


@table(
    keys=("event_id",),
    inputs={"clickstream": Input("bronze.clickstream", Scope.CHANGED)},
    write_mode=WriteMode.REPLACE_WINDOW,
    window_of="bronze.clickstream",
    partitioned_by=("days(event_ts)",),
    trend=TrendRule(date="CAST(event_ts AS DATE)", metrics=("row_count",)),
)
def fact_clickstream(clickstream: DataFrame) -> DataFrame:
    return clickstream.select("event_id", "user_id", "event_type", "product_id", "order_id", "event_ts",
                              "additional_details", "created_ts")
