"""silver.fact_clickstream."""

from __future__ import annotations

from pyspark.sql import SparkSession

from tables.silver.fact_clickstream import fact_clickstream

from ..frames import TS, first_row, frame


def test_fact_clickstream_keeps_purchase_events_with_their_order(spark: SparkSession) -> None:
    events = frame(spark, [(1, 5, "view", 7, None, TS, None, TS), (2, 5, "purchase", None, 100, TS, None, TS)],
                   "event_id long, user_id long, event_type string, product_id long, order_id long, "
                   "event_ts timestamp, additional_details string, created_ts timestamp")
    purchase = first_row(fact_clickstream(events).where("event_type = 'purchase'"))
    assert purchase.order_id == 100 and purchase.product_id is None
