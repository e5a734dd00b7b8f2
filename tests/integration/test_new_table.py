"""A table with no history — added to the model, or dropped and recreated — is built for every date on its
first run, not only for the dates the run touches."""

from __future__ import annotations

import pytest

from flows.daily import rainforest_daily
from tables.engine.lake import catalog
from tables.publish.protocol import log_rows, published_dates
from tables.read.reports import report_rows

from .conftest import START, expected

pytestmark = pytest.mark.integration
DROPPED = ("silver.fact_orders", "gold.daily_order_metrics")


def test_tables_dropped_and_recreated_are_built_for_every_date(published: None) -> None:
    day = max(published_dates(log_rows()))
    for identifier in DROPPED:
        catalog().purge_table(identifier)
    rainforest_daily(run_date=day)  # an incremental rerun: it touches the one date
    orders = expected("orders", day)
    assert len(orders) > 1
    assert report_rows("orders", START, day) == orders
    assert report_rows("categories", START, day) == expected("categories", day)
    metrics = catalog().load_table("gold.daily_order_metrics").scan(selected_fields=("order_date",)).to_arrow()
    assert sorted(set(metrics.column("order_date").to_pylist())) == [row["order_date"] for row in orders]
