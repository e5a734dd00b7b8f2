"""Dates a run would find nothing new for, told from upstream alone (Postgres queries, no Spark): no row of a
windowed table in the date's extraction, and every table read whole exactly as the last publish extracted it
(the same fingerprint). A day-by-day run of such a date rebuilds every derived table into what main holds, so
it is published as the tables' current mains at once (DESIGN.md §5: dates without upstream rows cost nothing).

Only dates after the last published one qualify (catch-ups and backfills past it): an earlier date is a rerun,
and its published rows may differ from upstream's (deletes, regenerated days)."""

from __future__ import annotations

from datetime import date, timedelta

from infra.upstream_db import upstream_row, upstream_rows
from tables.engine.extract import committed_after, late_rows, window_between
from tables.registry import all_tables
from tables.spec import Source, TableSpec


def sources() -> list[tuple[TableSpec, Source]]:
    return [(spec, spec.source) for spec in all_tables() if spec.source is not None]


def upstream_fingerprint() -> str:
    """One md5 over every source table's columns and the rows of every table read whole (in key order): equal
    fingerprints mean a run would extract those tables exactly as before. Taken before a run extracts, so a
    change committed while it runs makes the next fingerprint differ."""
    whole = [(spec.keys, source.table) for spec, source in sources() if not source.window_columns]
    names = ", ".join(f"'{source.table}'" for _, source in sources())
    columns = (f"(SELECT md5(string_agg(table_name || '.' || column_name || ' ' || data_type, ',' "
               f"ORDER BY table_name, ordinal_position)) FROM information_schema.columns "
               f"WHERE table_schema = 'rainforest' AND table_name IN ({names}))")
    rows = [f"(SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY {', '.join(keys)}), '')) "
            f"FROM rainforest.{table} t)" for keys, table in whole]
    return str(upstream_row(f"SELECT md5(concat_ws(',', {', '.join([columns, *rows])}))")[0])


def first_busy_date(dates: list[date], late_since: str, snapshot: str) -> date | None:
    """The first of `dates` (consecutive, the first one right after the last published date) whose run would
    extract a row of a windowed table, as `tables.engine.extract.extraction_filter` takes them: its window, or for
    the first date also a row committed since the last publish's snapshot (`late_since`) created before its
    window's end; of what `snapshot` (upstream's, now) shows. None: no date of them would."""
    first, end = dates[0], dates[-1] + timedelta(days=1)
    windowed = [source for _, source in sources() if source.window_columns]
    visible = f"NOT {committed_after(snapshot)}"
    busy: list[date] = []
    for source in windowed:  # the windows first: a min() per time column walks its index from the first row
        for column in source.window_columns:
            (when,), = upstream_rows(f"SELECT min({column}) FROM rainforest.{source.table} "
                                     f"WHERE {window_between((column,), first, end)} AND {visible}")
            if when is not None:
                busy.append(when.date())
    if first in busy or not late_since:
        return min(busy, default=None)
    for source in windowed:
        if upstream_rows(f"SELECT 1 FROM rainforest.{source.table} WHERE "
                         f"{late_rows(source, late_since, first + timedelta(days=1))} AND {visible} LIMIT 1"):
            return first
    return min(busy, default=None)
