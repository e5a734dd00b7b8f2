"""Bad data fails the gate before anything is published; a missing service is named."""

from __future__ import annotations

from datetime import date

import pytest

from datagen.generate import generate
from flows.daily import rainforest_daily
from infra.errors import QualityGateError, ServiceUnavailableError
from infra.settings import settings
from tables.reports import catalog, report_rows

from .conftest import START, main_snapshots, pg_execute

pytestmark = pytest.mark.integration
BAD_DAY = date(2026, 11, 4)


@pytest.fixture
def published(upstream: None, prefect: None) -> None:
    if not catalog().table_exists("interface.daily_order_report"):
        rainforest_daily(run_date=date(2026, 11, 3))


def test_planted_duplicate_order_fails_the_gate_and_main_stays(published: None) -> None:
    generate(BAD_DAY, 1, 300, seed=7)
    before = main_snapshots()
    report_before = report_rows("orders", START, BAD_DAY)
    pg_execute(
        "ALTER TABLE rainforest.orders DROP CONSTRAINT orders_pkey",
        "INSERT INTO rainforest.orders SELECT * FROM rainforest.orders "
        "WHERE order_id = (SELECT min(order_id) FROM rainforest.orders WHERE created_ts >= '2026-11-04')",
    )
    try:
        with pytest.raises(QualityGateError) as failure:
            rainforest_daily(run_date=BAD_DAY)
        assert failure.value.table == "silver.fact_orders"
        assert "duplicate_count(order_id) = 0" in str(failure.value)
        assert "run_20261104" in str(failure.value)
        assert main_snapshots() == before
        assert report_rows("orders", START, BAD_DAY) == report_before
        staged = catalog().load_table("silver.fact_orders")
        assert "run_20261104" in staged.metadata.refs
        branch_rows = staged.scan(snapshot_id=staged.metadata.refs["run_20261104"].snapshot_id,
                                  selected_fields=("order_id",)).to_arrow().column("order_id").to_pylist()
        assert len(branch_rows) == len(set(branch_rows)) + 1
    finally:
        pg_execute(
            "DELETE FROM rainforest.orders a USING rainforest.orders b "
            "WHERE a.order_id = b.order_id AND a.ctid > b.ctid",
            "ALTER TABLE rainforest.orders ADD PRIMARY KEY (order_id)",
        )
    rainforest_daily(run_date=BAD_DAY)
    assert [row["order_date"] for row in report_rows("orders", START, BAD_DAY)][-1] == BAD_DAY


@pytest.mark.parametrize("variable, value, service", [
    ("RAINFOREST_CATALOG_URI", "http://127.0.0.1:9", "Iceberg REST catalog"),
    ("RAINFOREST_UPSTREAM_DSN", "postgresql://rainforest:x@127.0.0.1:9/rainforest", "PostgreSQL"),
])
def test_a_missing_service_is_named(prefect: None, monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
                                    service: str) -> None:
    monkeypatch.setenv(variable, value)
    settings.cache_clear()
    try:
        with pytest.raises(ServiceUnavailableError, match=service) as failure:
            rainforest_daily(run_date=date(2026, 11, 3))
        assert "make stack-up" in str(failure.value)
    finally:
        monkeypatch.undo()
        settings.cache_clear()
