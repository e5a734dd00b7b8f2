"""Every table declaration loads: unique names, upstreams declared earlier, checks beside every audited table."""

from __future__ import annotations

import pytest

from tables.quality import checks_file
from tables.registry import all_tables
from tables.spec import LAYERS


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
