"""Loads every table declaration: unique names, upstreams declared, checks beside every silver/gold table."""

from __future__ import annotations

import pytest

from tables.dates import partition_source
from tables.quality import checks_file
from tables.registry import all_tables
from tables.spec import LAYERS, Input, Scope
from tables.table_state import creatable_column_order


def test_names_are_unique_and_layers_ordered() -> None:
    specs = all_tables()
    assert len({spec.name for spec in specs}) == len(specs)
    assert [LAYERS.index(s.layer) for s in specs] == sorted(LAYERS.index(s.layer) for s in specs)


def test_upstreams_are_declared_earlier() -> None:
    seen: set[str] = set()
    for spec in all_tables():
        assert set(spec.upstream) <= seen, spec.identifier
        seen.add(spec.identifier)


@pytest.mark.parametrize("spec", [s for s in all_tables() if s.layer in ("silver", "gold", "interface")],
                         ids=lambda s: s.identifier)
def test_every_modelled_table_has_checks(spec) -> None:
    assert checks_file(spec.layer, spec.name).exists()


def test_touched_dates_scope_needs_a_date_column() -> None:
    with pytest.raises(ValueError):
        Input("silver.fact_orders", Scope.TOUCHED_DATES)


def test_partition_on_the_first_column_is_moved_last() -> None:
    assert partition_source("days(order_ts)") == "order_ts"
    assert creatable_column_order(["order_date", "n"], ("order_date",)) == ["n", "order_date"]
    assert creatable_column_order(["id", "order_ts"], ("days(order_ts)",)) == ["id", "order_ts"]


@pytest.mark.parametrize("dsn, url", [
    ("postgresql://u:s3cr%40t@127.0.0.1:5433/app?sslmode=require", "jdbc:postgresql://127.0.0.1:5433/app?sslmode=require"),
    ("postgresql://u:s3cr%40t@[::1]/app", "jdbc:postgresql://[::1]:5432/app"),
])
def test_the_jdbc_url_keeps_the_dsn_parameters_and_ipv6_hosts(monkeypatch: pytest.MonkeyPatch, dsn: str,
                                                              url: str) -> None:
    from infra.settings import settings
    from tables.extract import jdbc_options

    monkeypatch.setenv("RAINFOREST_UPSTREAM_DSN", dsn)
    settings.cache_clear()
    try:
        found, properties = jdbc_options()
        assert found == url and properties["user"] == "u"
        assert properties["password"] == "s3cr@t" and "s3cr" not in found
    finally:
        monkeypatch.undo()
        settings.cache_clear()
