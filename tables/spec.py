"""How a table is declared: once, as data. The runner (tables/runner.py) and its modules do all the I/O."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from pyspark.sql import DataFrame

LAYERS = ("bronze", "silver", "gold", "interface")


class WriteMode(StrEnum):
    MERGE = "merge"  # upsert by key: facts (a rerun or a late row never duplicates)
    SYNC = "sync"  # the output is the table's whole new content: upsert by key and delete keys that are gone
    OVERWRITE_DATES = "overwrite_dates"  # replace exactly the run's dates (even with no rows: a date can empty)
    REPLACE = "replace"  # replace the whole table (small interface tables)


class Scope(StrEnum):
    CHANGED = "changed"  # only the rows this run extracted (a bronze table's `_run_date` partition)
    LATEST = "latest"  # a bronze table's current state: the newest extracted version of every key
    ALL = "all"  # the whole table as the run branch holds it
    TOUCHED_DATES = "touched_dates"  # rows whose date column is one of the order dates this run touched


@dataclass(frozen=True)
class Input:
    table: str  # "<layer>.<name>"
    scope: Scope = Scope.ALL
    date_column: str | None = None

    def __post_init__(self) -> None:
        if (self.scope is Scope.TOUCHED_DATES) != (self.date_column is not None):
            raise ValueError(f"{self.table}: a date column is given exactly when the scope is touched_dates")


@dataclass(frozen=True)
class Source:
    """An upstream Postgres table a bronze table extracts.

    With `window_columns`, a run for `d` takes the rows with any of them in [d, d+1) (created *or* updated that
    day); a full load takes every row created before d+1. Without, the table is small and read whole every run:
    its current state, deletes included."""

    table: str
    window_columns: tuple[str, ...] = ()
    split_column: str | None = None  # numeric key to split partitioned JDBC reads on
    created_column: str = "created_ts"


@dataclass(frozen=True)
class TableSpec:
    name: str
    layer: str
    keys: tuple[str, ...]
    transform: Callable[..., DataFrame]
    inputs: Mapping[str, Input] = field(default_factory=dict)
    write_mode: WriteMode = WriteMode.MERGE
    partitioned_by: tuple[str, ...] = ()  # Iceberg partition transforms, e.g. "days(order_ts)"
    source: Source | None = None
    check_references: tuple[str, ...] = ()  # other tables the Soda checks refer to (referential integrity)
    restated_by: tuple[str, ...] = ()  # when one of these changes in a run, every date is recomputed
    window_of: str | None = None  # a fact's rows follow this bronze table's extraction window: those created
    #                               in a run's window that are gone upstream (a replaced day) are deleted

    def __post_init__(self) -> None:
        if self.layer not in LAYERS:
            raise ValueError(f"{self.name}: unknown layer {self.layer!r}")
        if (self.layer == "bronze") != (self.source is not None):
            raise ValueError(f"{self.name}: bronze tables, and only they, have an upstream source")
        if self.write_mode is WriteMode.OVERWRITE_DATES and not self.partitioned_by:
            raise ValueError(f"{self.name}: overwrite_dates needs a date partition")

    @property
    def identifier(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def upstream(self) -> tuple[str, ...]:
        return tuple(sorted({item.table for item in self.inputs.values()} | set(self.check_references)))


def utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class RunContext:
    run_date: date
    full_refresh: bool = False
    incremental: bool = False  # an earlier date is published: extract only the run date's window
    started_at: str = field(default_factory=utc_stamp)
    attempt: str = field(default_factory=lambda: secrets.token_hex(3))

    @property
    def branch(self) -> str:
        """Unique per attempt: two runs never share (or reset) a branch."""
        return f"run_{self.run_date:%Y%m%d}_{self.started_at.lower()}_{self.attempt}"

    @property
    def reports_label(self) -> str:
        """Soda reports are kept per run attempt: reruns of a date do not overwrite earlier evidence."""
        return f"run_{self.run_date:%Y%m%d}/{self.started_at}_{self.attempt}"

    @property
    def next_day(self) -> date:
        return self.run_date + timedelta(days=1)
