"""Upstream schema changes, as the application team makes them: a new column reaches bronze and the run
succeeds; a column the model reads renamed away fails the run before any write, naming table and column; a
column nobody reads dropped is null from then on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from datagen.generate import generate
from flows.daily import rainforest_daily
from tables.engine.lake import catalog
from tables.engine.upstream_schema import UpstreamSchemaError
from tables.read.reports import report_rows

from .conftest import expected, main_snapshots, own_upstream_and_lake, pg_execute

pytestmark = pytest.mark.integration
FIRST = date(2026, 1, 1)
ORDERS_PER_DAY = 60


@pytest.fixture(scope="module")
def own_lake(prefect: None) -> Iterator[None]:
    """This module's own upstream database and lake (a schema change must not reach the other modules' runs),
    with one published date."""
    with own_upstream_and_lake("schema"):
        generate(FIRST, 1, ORDERS_PER_DAY, seed=3)
        rainforest_daily(run_date=FIRST)
        yield


@pytest.fixture
def day(own_lake: None) -> Iterator[date]:
    """The published date (a rerun reads every reference table whole); upstream's schema as it was after."""
    yield FIRST
    pg_execute("ALTER TABLE rainforest.brand DROP COLUMN IF EXISTS website")


def brand_rows(run_date: date) -> list[dict]:
    rows = catalog().load_table("bronze.brand").scan(row_filter=f"_run_date = '{run_date}'").to_arrow().to_pylist()
    return sorted(rows, key=lambda row: row["brand_id"])


def test_a_new_upstream_column_reaches_bronze_and_a_dropped_one_is_null(day: date) -> None:
    pg_execute("ALTER TABLE rainforest.brand ADD COLUMN website text",
               "UPDATE rainforest.brand SET website = 'https://brand-one.example' WHERE brand_id = 1")
    rainforest_daily(run_date=day)
    rows = brand_rows(day)
    assert rows[0]["website"] == "https://brand-one.example" and all(row["website"] is None for row in rows[1:])
    assert report_rows("orders", FIRST, day) == expected("orders", day)

    pg_execute("ALTER TABLE rainforest.brand DROP COLUMN website")  # no table of the model reads it
    rainforest_daily(run_date=day)
    assert all(row["website"] is None for row in brand_rows(day))
    assert report_rows("categories", FIRST, day) == expected("categories", day)


def run_branches(identifier: str) -> set[str]:
    return {name for name in catalog().load_table(identifier).metadata.refs if name.startswith("run_")}


def test_a_renamed_column_the_model_reads_fails_before_any_write(day: date) -> None:
    before, reports, branches = main_snapshots(), report_rows("orders", FIRST, day), run_branches("bronze.brand")
    pg_execute("ALTER TABLE rainforest.brand RENAME COLUMN country TO country_code")
    try:
        with pytest.raises(UpstreamSchemaError) as failure:
            rainforest_daily(run_date=day)
    finally:
        pg_execute("ALTER TABLE rainforest.brand RENAME COLUMN country_code TO country")
    message = str(failure.value)
    assert "column country of upstream table rainforest.brand is gone" in message
    assert "country_code" in message and "silver.dim_product" in message
    assert main_snapshots() == before and report_rows("orders", FIRST, day) == reports
    assert run_branches("bronze.brand") == branches  # stopped before the first table was branched
