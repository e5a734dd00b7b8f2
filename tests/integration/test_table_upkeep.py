"""Table upkeep on the lake the other modules left: old snapshots go, readers still see the last publish (its
snapshots are tagged), and the next run publishes on the compacted tables, equal to the SQL oracle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pyspark.sql import SparkSession

from flows.daily import rainforest_daily
from tables.engine.lake import catalog
from tables.publish.protocol import last_release, log_rows, published_dates
from tables.publish.upkeep import PUBLISHED_TAG, maintain
from tables.read.reports import report_rows

from .conftest import START, expected

pytestmark = pytest.mark.integration


def test_upkeep_expires_old_snapshots_keeps_what_readers_see_and_the_next_run_publishes(
        published: None, spark: SparkSession) -> None:
    last = max(published_dates(log_rows()))
    rainforest_daily(run_date=last)  # at least two publishes: something to expire
    release = last_release()
    assert release is not None
    reports = {name: report_rows(name, START, last) for name in ("orders", "categories")}
    done = {item.table: item for item in maintain(spark, retention=timedelta(0))}
    assert done["silver.fact_orders"].snapshots[1] < done["silver.fact_orders"].snapshots[0]
    assert sum(item.snapshots[1] for item in done.values()) < sum(item.snapshots[0] for item in done.values())
    for identifier, snapshot_id in release.snapshots.items():
        assert catalog().load_table(identifier).refs()[PUBLISHED_TAG].snapshot_id == snapshot_id
    assert {name: report_rows(name, START, last) for name in reports} == reports
    rainforest_daily(run_date=last)
    assert report_rows("orders", START, last) == expected("orders", last)
    assert report_rows("categories", START, last) == expected("categories", last)
