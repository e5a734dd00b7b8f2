"""The publish moves mains in dependency waves: no table before a table it reads, the rest side by side."""

from __future__ import annotations

from tables.publish.protocol import dependency_waves
from tables.registry import all_tables


def test_every_table_comes_once_after_every_table_it_reads() -> None:
    identifiers = [spec.identifier for spec in all_tables()]
    waves = dependency_waves(list(reversed(identifiers)))
    position = {identifier: number for number, wave in enumerate(waves) for identifier in wave}
    assert sorted(identifier for wave in waves for identifier in wave) == sorted(identifiers)
    for spec in all_tables():
        assert all(position[name] < position[spec.identifier] for name in spec.upstream), spec.identifier


def test_the_bronze_tables_move_side_by_side_first() -> None:
    waves = dependency_waves([spec.identifier for spec in all_tables()])
    assert set(waves[0]) == {spec.identifier for spec in all_tables() if spec.layer == "bronze"}
    assert len(waves) < len(all_tables()) / 3


def test_a_table_the_registry_no_longer_declares_moves_first() -> None:
    assert dependency_waves(["gold.daily_order_metrics", "silver.retired_table"])[0] == ["silver.retired_table"]
