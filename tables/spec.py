"""How a table is declared: once, as data. The runner (tables/engine/runner.py) and its modules do all the I/O."""

from __future__ import annotations

import importlib
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
    # replace the rows of the run's extraction window (`window_of`) with what it extracted: facts of an insert-only
    # source, whose rows never change once created (clickstream), need no merge by key
    REPLACE_WINDOW = "replace_window"


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


def on_touched_dates(table: str) -> Input:
    """An input read only on the order dates the run touched (its `order_date` column)."""
    return Input(table, Scope.TOUCHED_DATES, "order_date")


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

    @property
    def insert_only(self) -> bool:
        """Its window is on the creation time alone: a row is extracted by the run of the day it was created."""
        return self.window_columns == (self.created_column,)


@dataclass(frozen=True)
class Report:
    """An interface table stakeholders read with `rainforest report <name>` (DESIGN.md §7): its columns in
    order; rows come sorted by the table's keys."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Agreement:
    """Before publish, on every order date the run touched, this table's figures equal the same figures computed
    from another table of the run: measure → (SQL aggregate over the other table, over this one)."""

    table: str
    measures: Mapping[str, tuple[str, str]]


@dataclass(frozen=True)
class Touches:
    """A fact that sets the order dates a run touches (those gold recomputes): the dates of the rows the run
    extracted for it, read from `date_of` on them or, for a child row, from its parent fact (`parent`, joined on
    `key`: an item created after midnight restates its order's date); and the `order_date` of its published
    rows of the run's window that are gone upstream."""

    date_of: str | None = None
    parent: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        if (self.date_of is None) == (self.parent is None) or (self.parent is None) != (self.key is None):
            raise ValueError("a fact's dates come either from a column (date_of) or from its parent (parent, key)")


@dataclass(frozen=True)
class TrendRule:
    """A fact's figures on the run date against the same figures on its last published dates (tables/quality/trends.py
    says how the bounds follow from these thresholds). SodaCL has no such check: the rule is declared here and
    the run generates its SodaCL, so checks/ holds only what Soda itself reads."""

    date: str  # SQL for the row's date: a date column, or e.g. CAST(event_ts AS DATE)
    metrics: tuple[str, ...]  # SodaCL metrics: row_count, sum(total_price), …
    window_days: int = 28
    min_history: int = 7
    warn_mads: float = 4.0
    fail_below: float = 0.15
    fail_above: float = 10.0


Transform = Callable[..., DataFrame]


@dataclass(frozen=True)
class TableSpec:
    name: str
    layer: str
    keys: tuple[str, ...]
    transform: Transform
    inputs: Mapping[str, Input] = field(default_factory=dict)
    write_mode: WriteMode = WriteMode.MERGE
    partitioned_by: tuple[str, ...] = ()  # Iceberg partition transforms, e.g. "days(order_ts)"
    source: Source | None = None
    audited: bool = True  # checked before publish: keys not null and unique, references, checks/<layer>/<name>.yml
    references: Mapping[str, str] = field(default_factory=dict)  # column → table whose same column it must exist in
    restated_by: tuple[str, ...] = ()  # when one of these changes in a run, every date is recomputed
    window_of: str | None = None  # a fact's rows follow this bronze table's extraction window: those created
    #                               in a run's window that are gone upstream (a replaced day) are deleted
    report: Report | None = None
    agrees_with: Agreement | None = None
    # measure → SQL aggregate Postgres and Spark evaluate alike: on the rows a run extracted, upstream, in bronze
    # and in this table, the figures must be equal before publish
    upstream_totals: Mapping[str, str] = field(default_factory=dict)
    touches: Touches | None = None
    trend: TrendRule | None = None

    def __post_init__(self) -> None:
        if self.layer not in LAYERS:
            raise ValueError(f"{self.name}: unknown layer {self.layer!r}")
        if (self.layer == "bronze") != (self.source is not None):
            raise ValueError(f"{self.name}: bronze tables, and only they, have an upstream source")
        if (self.touches is not None or self.upstream_totals or self.write_mode is WriteMode.REPLACE_WINDOW) \
                and self.window_of is None:
            raise ValueError(f"{self.name}: touched dates, upstream totals and replace_window follow an extraction "
                             "window (window_of)")
        if self.write_mode is WriteMode.OVERWRITE_DATES and not self.partitioned_by:
            raise ValueError(f"{self.name}: overwrite_dates needs a date partition")

    @property
    def identifier(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def upstream(self) -> tuple[str, ...]:
        return tuple(sorted({item.table for item in self.inputs.values()} | set(self.references.values())))


@dataclass(frozen=True)
class LayerDefaults:
    """What every table of a layer is unless its declaration says otherwise: `DEFAULTS` in the layer's package
    (tables/<layer>/__init__.py), set once."""

    write_mode: WriteMode
    partitioned_by: tuple[str, ...] = ()
    audited: bool = True


DECLARED: dict[str, TableSpec] = {}  # identifier → declaration, filled as the table modules are imported


def declare(spec: TableSpec) -> TableSpec:
    DECLARED[spec.identifier] = spec
    return spec


def layer_defaults(layer: str) -> LayerDefaults:
    defaults = importlib.import_module(f"tables.{layer}").DEFAULTS
    assert isinstance(defaults, LayerDefaults), layer
    return defaults


def table(keys: tuple[str, ...], inputs: Mapping[str, Input], **declared: object) -> Callable[[Transform], Transform]:
    """Declare the table a transform builds. Its name is the function's, its layer the package of its module
    (tables/<layer>/), and what the declaration leaves out comes from the layer's defaults."""

    def declaring(transform: Transform) -> Transform:
        layer = transform.__module__.split(".")[-2]
        defaults = layer_defaults(layer)
        options: dict[str, object] = {"write_mode": defaults.write_mode, "partitioned_by": defaults.partitioned_by,
                                      "audited": defaults.audited, **declared}
        declare(TableSpec(transform.__name__, layer, keys, transform, inputs, **options))  # type: ignore[arg-type]
        return transform

    return declaring


def utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class RunContext:
    """One run: of `run_date`, or of the consecutive dates `first_date` to `run_date` together (a range run,
    `flows.daily.run_range`: one extraction window, one build, one publish that logs every date)."""

    run_date: date
    full_refresh: bool = False
    incremental: bool = False  # an earlier date is published: extract only the run date's window
    started_at: str = field(default_factory=utc_stamp)
    attempt: str = field(default_factory=lambda: secrets.token_hex(3))
    # table → SodaCL computed for this run from earlier publishes (trend checks, tables/quality/trends.py)
    trend_checks: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    # the publish log's snapshot when the run started: it publishes only if no other writer published since
    log_snapshot: int | None = field(default=None, hash=False, compare=False)
    accept_trend: str = ""  # why failed trend checks are accepted, and who said so (`--accept-trend`)
    # Late commits (tables.engine.extract): upstream's snapshot when the run started (it extracts what is visible in
    # it), the snapshot of the run the last publish came from (rows committed since are taken whatever their
    # date), and the day after the latest date such a row may have (the later of the run date and the watermark)
    upstream_snapshot: str = field(default="", hash=False, compare=False)
    late_since: str = field(default="", hash=False, compare=False)
    late_until: date | None = field(default=None, hash=False, compare=False)
    # what the tables upstream reads whole held when the run started (tables.engine.quiet_dates)
    upstream_fingerprint: str = field(default="", hash=False, compare=False)
    first_date: date | None = None  # a range run's first date (None: the run is of `run_date` alone)

    @property
    def dates(self) -> list[date]:
        """The dates the run is of, oldest first."""
        first = self.first_date or self.run_date
        return [first + timedelta(days=n) for n in range((self.run_date - first).days + 1)]

    @property
    def is_range(self) -> bool:
        return self.first_date is not None and self.first_date < self.run_date

    @property
    def branch(self) -> str:
        """Unique per attempt: two runs never share (or reset) a branch."""
        dates = f"{self.dates[0]:%Y%m%d}_to_{self.run_date:%Y%m%d}" if self.is_range else f"{self.run_date:%Y%m%d}"
        return f"run_{dates}_{self.started_at.lower()}_{self.attempt}"

    def of_date(self, day: date) -> RunContext:
        """One date of a range run, as its publish logs it (its own run id; what the range saw upstream)."""
        return RunContext(day, incremental=True, started_at=self.started_at, attempt=self.attempt,
                          log_snapshot=self.log_snapshot, upstream_snapshot=self.upstream_snapshot,
                          late_since=self.late_since, late_until=self.late_until,
                          upstream_fingerprint=self.upstream_fingerprint)

    @property
    def reports_label(self) -> str:
        """Soda reports are kept per run attempt: reruns of a date do not overwrite earlier evidence."""
        return f"run_{self.run_date:%Y%m%d}/{self.started_at}_{self.attempt}"

    @property
    def next_day(self) -> date:
        return self.run_date + timedelta(days=1)
