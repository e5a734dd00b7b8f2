"""The per-table plan's decisions (`tables.engine.plan.decide`), on the real declarations, with the lake's state
given as plain answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from tables.engine.plan import Audit, TablePlan, decide
from tables.registry import table
from tables.spec import RunContext

DAY, TOUCHED = date(2026, 11, 5), [date(2026, 11, 4), date(2026, 11, 5)]
DAILY = RunContext(DAY, incremental=True)


def plan(identifier: str, ctx: RunContext = DAILY, main_checked: bool = True,
         changed: Callable[[str], bool] = lambda _: True) -> TablePlan:
    def touched() -> list[date]:
        return TOUCHED
    return decide(table(identifier), ctx, lambda: main_checked, changed, touched)


def test_a_source_extracts_its_window_on_the_run_dates_and_is_never_kept() -> None:
    orders = plan("bronze.orders", main_checked=True, changed=lambda _: False)
    assert not orders.keep_main and orders.dates == [DAY] and orders.audit is Audit.NEVER
    assert orders.extraction is not None and "created_ts >= '2026-11-05'" in orders.extraction
    assert plan("bronze.category").extraction == "TRUE"  # a reference table is read whole


def test_a_derived_table_whose_inputs_did_not_change_keeps_main() -> None:
    kept = plan("silver.dim_category", changed=lambda _: False)
    assert kept.keep_main and kept.audit is Audit.NEVER
    assert not plan("silver.dim_category", main_checked=False, changed=lambda _: False).keep_main


def test_a_table_on_touched_dates_recomputes_them_unless_membership_or_names_changed() -> None:
    facts_only = plan("gold.daily_category_metrics", changed=lambda name: name == "gold.daily_product_revenue")
    assert facts_only.dates == TOUCHED and not facts_only.every_version
    renamed = plan("gold.daily_category_metrics", changed=lambda name: name in ("gold.daily_product_revenue",
                                                                                 "silver.dim_category"))
    assert renamed.dates is None  # every date: names are the current ones for old dates too


@pytest.mark.parametrize("ctx", [RunContext(DAY), RunContext(DAY, incremental=True, full_refresh=True)],
                         ids=["full load", "full refresh"])
def test_a_full_load_recomputes_every_date_from_the_run_s_rows(ctx: RunContext) -> None:
    full = plan("gold.daily_category_metrics", ctx=ctx)
    assert full.dates is None and not full.every_version


def test_a_first_build_reads_every_version_of_every_date() -> None:
    first = plan("gold.daily_category_metrics", main_checked=False)
    assert first.dates is None and first.every_version and first.audit is Audit.ALWAYS


def test_a_write_that_changed_nothing_is_audited_only_for_trends_or_a_changed_reference() -> None:
    def only(*names: str) -> Callable[[str], bool]:
        return lambda name: name in names
    assert plan("silver.fact_order_items", changed=only("bronze.orderitem")).audit is Audit.IF_WRITTEN
    assert plan("silver.fact_order_items", changed=only("bronze.orderitem", "silver.fact_orders")).audit \
        is Audit.ALWAYS  # its reference changed: the checks that join it must run again
    trends = RunContext(DAY, incremental=True, trend_checks={"silver.fact_order_items": "checks for …"})
    assert plan("silver.fact_order_items", ctx=trends, changed=only("bronze.orderitem")).audit is Audit.ALWAYS
