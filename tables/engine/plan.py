"""One table's plan for a run, decided once before it is built, which the runner and the rest of the engine read:
whether it is kept as main holds it, the upstream rows it extracts, the dates it recomputes, how it reads its
inputs and when it is audited. `decide` is the decision alone (unit-tested); `plan_table` gives it the lake's
state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import cache

from pyspark.sql import SparkSession

from tables.engine import lake
from tables.engine.dates import Dates
from tables.engine.extract import extraction_filter
from tables.engine.scopes import touched_dates
from tables.engine.table_state import changed_this_run, table_exists
from tables.spec import RunContext, Scope, TableSpec


class Audit(Enum):
    NEVER = "never"  # not audited (bronze: kept as extracted)
    ALWAYS = "always"
    IF_WRITTEN = "if its write changed it"  # else the branch holds main's rows, which passed these checks


@dataclass(frozen=True)
class TablePlan:
    keep_main: bool  # nothing it depends on changed: rebuilt, it would be what main holds, so main is kept
    extraction: str | None  # a table read from upstream: the rows it takes (Postgres SQL)
    dates: Dates  # the dates it writes: a source's run dates, the touched dates; None: every date
    every_version: bool  # a first build: every version of its windowed inputs, not only the run's extraction
    audit: Audit


def decide(spec: TableSpec, ctx: RunContext, main_checked: Callable[[], bool], changed: Callable[[str], bool],
           touched: Callable[[], list[date]]) -> TablePlan:
    """`main_checked()`: main holds rows that passed the table's checks when they were published (not trusted on
    a full load, nor while main is empty); `changed(table)`: the run wrote data to that table's branch (asked only
    of tables built before this one); `touched()`: the order dates the run's facts touch. Each is asked only
    when the decision needs it."""
    derived = spec.source is None
    if derived and main_checked() and not any(changed(name) for name in spec.upstream):
        return TablePlan(True, None, None, False, Audit.NEVER)
    first_build = derived and ctx.incremental and not ctx.full_refresh and not main_checked()
    dates: Dates = ctx.dates if not derived else None
    if (any(item.scope is Scope.TOUCHED_DATES for item in spec.inputs.values()) and ctx.incremental
            and not first_build and not any(changed(name) for name in spec.restated_by)):
        dates = touched()
    if not spec.audited:
        audit = Audit.NEVER
    elif (ctx.trend_checks.get(spec.identifier) or not main_checked()
          or any(changed(name) for name in spec.references.values())):
        audit = Audit.ALWAYS
    else:
        audit = Audit.IF_WRITTEN
    extraction = extraction_filter(spec.source, ctx) if spec.source is not None else None
    return TablePlan(False, extraction, dates, first_build, audit)


def main_was_checked(spec: TableSpec, ctx: RunContext) -> bool:
    return (ctx.incremental and not ctx.full_refresh and table_exists(spec.identifier)
            and lake.branch_heads(spec.identifier)["main"].total_records > 0)


def plan_table(spark: SparkSession, spec: TableSpec, ctx: RunContext) -> TablePlan:
    """The plan from the lake as it is now: every table asked about is built already (`registry.waits_for`), and
    each is asked once."""
    return decide(spec, ctx, cache(lambda: main_was_checked(spec, ctx)),
                  cache(lambda name: changed_this_run(name, ctx)), lambda: touched_dates(spark, ctx))
