"""Every table declaration loads: unique names, upstreams declared earlier, checks beside every audited table."""

from __future__ import annotations

import pytest

from tables.quality.gate import checks_file
from tables.registry import all_tables, touched_dates_read, waits_for
from tables.spec import LAYERS, Scope, TableSpec


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
def test_every_modelled_table_has_checks(spec: TableSpec) -> None:
    assert checks_file(spec.layer, spec.name).exists()


def test_a_table_on_touched_dates_is_built_after_what_the_dates_are_computed_from() -> None:
    read = touched_dates_read()
    assert read == {"bronze.orders", "bronze.orderitem", "silver.fact_orders"}
    on_touched_dates = [spec for spec in all_tables()
                        if any(item.scope is Scope.TOUCHED_DATES for item in spec.inputs.values())]
    for spec in on_touched_dates:
        assert read <= set(waits_for(spec)), spec.identifier
    assert [spec.identifier for spec in on_touched_dates if not read <= set(spec.upstream)]  # not by reading


def test_the_waits_never_form_a_cycle() -> None:
    built: set[str] = set()
    for spec in all_tables():
        assert set(waits_for(spec)) <= built, spec.identifier
        built.add(spec.identifier)
