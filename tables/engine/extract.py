"""Extraction from the upstream Postgres: the rows of a table a run takes (its window), read over JDBC."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qsl, unquote, urlencode, urlparse

from pyspark.sql import DataFrame, SparkSession

from infra.settings import settings
from infra.upstream_db import upstream_row
from tables.spec import RunContext, Source

JDBC_ROWS_PER_PARTITION = 500_000
JDBC_MAX_PARTITIONS = 8


def jdbc_options() -> tuple[str, dict[str, str]]:
    """The JDBC URL of the upstream DSN, keeping its parameters (`sslmode`, …) and IPv6 hosts; the user and a
    password, from the user info or a `password=` parameter, go to the connection properties, not the URL."""
    dsn = urlparse(settings().upstream_dsn)
    host = f"[{dsn.hostname}]" if ":" in (dsn.hostname or "") else dsn.hostname
    parameters = parse_qsl(dsn.query, keep_blank_values=True)
    secret = {key.lower(): value for key, value in parameters if key.lower() in ("password", "user")}
    query = urlencode([(key, value) for key, value in parameters if key.lower() not in ("password", "user")])
    url = f"jdbc:postgresql://{host}:{dsn.port or 5432}{dsn.path}" + (f"?{query}" if query else "")
    return url, {"user": unquote(dsn.username or "") or secret.get("user", ""),
                 "password": unquote(dsn.password or "") or secret.get("password", ""),
                 "driver": "org.postgresql.Driver", "fetchsize": "20000"}


def window_between(columns: tuple[str, ...], low: date, high: date) -> str:
    """Rows with any of the columns in [low, high)."""
    return " OR ".join(f"({column} >= '{low.isoformat()}' AND {column} < '{high.isoformat()}')" for column in columns)


def window_condition(columns: tuple[str, ...], created_column: str, ctx: RunContext) -> str:
    """Incremental: rows created or updated in [d, d+1) (a range run: from its first date to the day after its
    last). Full load: rows created before d+1, in their current version (a filter on the change time would drop
    rows updated after d). SQL for Postgres and Spark alike."""
    if ctx.incremental:
        return window_between(columns, ctx.dates[0], ctx.next_day)
    return f"{created_column} < '{ctx.next_day.isoformat()}'"


def source_filter(source: Source, ctx: RunContext) -> str:
    """The run's window of an upstream table (SQL for Postgres and Spark alike); a reference table is whole."""
    if not source.window_columns:
        return "TRUE"
    return window_condition(source.window_columns, source.created_column, ctx)


XID_SPACE, HALF_XID_SPACE = 2**32, 2**31


def at_or_after(xid: int) -> str:
    """Postgres: the row's inserting transaction is `xid` or later. Transaction ids are 32 bits and wrap around,
    so "later" is modulo 2^32 (right while fewer than 2^31 transactions separate the two)."""
    return f"((xmin::text::bigint - {xid % XID_SPACE} + {XID_SPACE}) % {XID_SPACE}) < {HALF_XID_SPACE}"


def committed_after(snapshot: str) -> str:
    """Postgres: the row was not visible in `snapshot` (`pg_current_snapshot()` as text, `xmin:xmax:xip,…`):
    its transaction had not committed when the snapshot was taken."""
    low, high, running = snapshot.split(":")
    in_flight = [int(xid) % XID_SPACE for xid in running.split(",") if xid]
    later = at_or_after(int(high)) + (f" OR xmin::text::bigint IN ({', '.join(map(str, in_flight))})"
                                      if in_flight else "")
    return f"({at_or_after(int(low))} AND ({later}))"


def late_condition(source: Source, ctx: RunContext, until: date | None = None) -> str | None:
    """Postgres: the rows an incremental run takes because they committed late, created before `until`
    (default `ctx.late_until`); None: it takes none."""
    until = until or ctx.late_until
    if not source.window_columns or not ctx.upstream_snapshot or not ctx.incremental or not ctx.late_since \
            or until is None:
        return None
    return late_rows(source, ctx.late_since, until)


def extraction_filter(source: Source, ctx: RunContext) -> str:
    """The rows a run extracts, in Postgres: its window, and rows committed since the run the last publish came
    from, whatever their date up to `ctx.late_until` (a long transaction, a device that syncs late); of
    those, only what upstream's snapshot at the run's start shows, so a row committed during the run is the
    next run's, exactly once."""
    window = source_filter(source, ctx)
    if not source.window_columns or not ctx.upstream_snapshot:
        return window
    late = late_condition(source, ctx)
    if late is not None:
        window = f"(({window}) OR ({late}))"
    return f"({window}) AND NOT {committed_after(ctx.upstream_snapshot)}"


def late_rows(source: Source, since: str, until: date) -> str:
    """Postgres: rows committed after upstream's snapshot `since`, created before `until`."""
    return f"{committed_after(since)} AND {source.created_column} < '{until.isoformat()}'"


def split_bounds(source: Source, where: str) -> tuple[int, int, int]:
    """min, max and count of the split column over the rows to extract (one indexed query upstream)."""
    low, high, count = upstream_row(f"SELECT min({source.split_column}), max({source.split_column}), count(*) "
                                    f"FROM rainforest.{source.table} WHERE {where}")
    return int(low or 0), int(high or 0), int(count)


def upstream_snapshot() -> str:
    """Upstream's snapshot now: which transactions a query would see (`xmin:xmax:in-flight xids`)."""
    return str(upstream_row("SELECT pg_current_snapshot()::text")[0])


LATE = "_committed_late"  # a range run's extraction: whether the row came as a late commit (tables.engine.runner)


def extract(spark: SparkSession, source: Source, ctx: RunContext, where: str) -> DataFrame:
    """The rows `where` (`extraction_filter`) selects, over JDBC, split by id when they are many."""
    url, properties = jdbc_options()
    # the rows the range's first date would take as late commits run alone (created before the day after it)
    late = late_condition(source, ctx, ctx.dates[0] + timedelta(days=1)) if ctx.is_range else None
    flagged = f", ({late}) AS {LATE}" if late is not None else ""
    query = f"(SELECT *{flagged} FROM rainforest.{source.table} WHERE {where}) AS src"
    if source.split_column is None:
        return spark.read.jdbc(url, query, properties=properties)
    low, high, count = split_bounds(source, where)
    partitions = max(1, min(JDBC_MAX_PARTITIONS, -(-count // JDBC_ROWS_PER_PARTITION)))
    if partitions == 1:
        return spark.read.jdbc(url, query, properties=properties)
    return spark.read.jdbc(url, query, column=source.split_column, lowerBound=low, upperBound=high + 1,
                           numPartitions=partitions, properties=properties)
