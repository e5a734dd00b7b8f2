"""Every table declaration, found by walking tables/<layer>/, in dependency order."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import lru_cache
from graphlib import TopologicalSorter

from tables.spec import DECLARED, LAYERS, Scope, TableSpec, WriteMode


def _import_declarations() -> None:
    for layer in LAYERS:
        package = importlib.import_module(f"tables.{layer}")
        for module_info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"tables.{layer}.{module_info.name}")


def check_replaced_windows(specs: Mapping[str, TableSpec]) -> None:
    """A table that replaces its extraction window reads an insert-only source: with a window on update times
    too, a row edited after its creation day would leave its creation day's window and be lost."""
    for spec in specs.values():
        window = specs.get(spec.window_of or "")
        source = window.source if window else None
        if spec.write_mode is WriteMode.REPLACE_WINDOW and not (source and source.insert_only):
            raise ValueError(f"{spec.identifier}: replace_window needs an insert-only source (a window on its "
                             f"creation time alone); {spec.window_of} is not one")


@lru_cache(maxsize=1)
def all_tables() -> tuple[TableSpec, ...]:
    """All tables, topologically sorted (upstream before downstream), layers in order."""
    _import_declarations()
    specs = dict(DECLARED)
    graph = {name: set(spec.upstream) for name, spec in specs.items()}
    order = list(TopologicalSorter(graph).static_order())
    missing = [name for name in order if name not in specs]
    if missing:
        raise ValueError(f"tables referenced as inputs but not declared: {missing}")
    check_replaced_windows(specs)
    return tuple(sorted((specs[name] for name in order), key=lambda s: LAYERS.index(s.layer)))


def table(identifier: str) -> TableSpec:
    return next(spec for spec in all_tables() if spec.identifier == identifier)


def layer_tables(layer: str) -> tuple[TableSpec, ...]:
    return tuple(spec for spec in all_tables() if spec.layer == layer)


def touched_dates_read() -> set[str]:
    """What computing a run's touched dates reads on the run branch: every touching fact's extraction, and for a
    fact whose dates come from its parent, the parent and its extraction (`tables.engine.scopes.touched_dates`)."""
    read: set[str] = set()
    for spec in all_tables():
        if spec.touches is None:
            continue
        read.add(spec.window_of or "")
        if spec.touches.parent is not None:
            read |= {spec.touches.parent, table(spec.touches.parent).window_of or ""}
    return read


def waits_for(spec: TableSpec) -> tuple[str, ...]:
    """The tables a table is built after in a run: those it reads, and for a table on the touched dates what
    the dates are computed from (once per run, so every table on them must come after those writes)."""
    on_touched_dates = any(item.scope is Scope.TOUCHED_DATES for item in spec.inputs.values())
    return tuple(sorted(set(spec.upstream) | (touched_dates_read() if on_touched_dates else set())))
