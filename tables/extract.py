"""Extraction from the upstream Postgres: the rows of a table a run takes (its window), read over JDBC."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from pyspark.sql import DataFrame, SparkSession

from infra.health import upstream_row
from infra.settings import settings
from tables.spec import RunContext, Source

JDBC_ROWS_PER_PARTITION = 500_000
JDBC_MAX_PARTITIONS = 8


def jdbc_options() -> tuple[str, dict[str, str]]:
    """The JDBC URL of the upstream DSN, keeping its parameters (`sslmode`, …) and IPv6 hosts."""
    dsn = urlparse(settings().upstream_dsn)
    host = f"[{dsn.hostname}]" if ":" in (dsn.hostname or "") else dsn.hostname
    url = f"jdbc:postgresql://{host}:{dsn.port or 5432}{dsn.path}" + (f"?{dsn.query}" if dsn.query else "")
    return url, {"user": unquote(dsn.username or ""), "password": unquote(dsn.password or ""),
                 "driver": "org.postgresql.Driver", "fetchsize": "20000"}


def window_condition(columns: tuple[str, ...], created_column: str, ctx: RunContext) -> str:
    """Incremental: rows created or updated in [d, d+1). Full load: rows created before d+1, in their current
    version (a filter on the change time would drop rows updated after d). SQL for Postgres and Spark alike."""
    if ctx.incremental:
        low, high = ctx.run_date.isoformat(), ctx.next_day.isoformat()
        return " OR ".join(f"({column} >= '{low}' AND {column} < '{high}')" for column in columns)
    return f"{created_column} < '{ctx.next_day.isoformat()}'"


def source_filter(source: Source, ctx: RunContext) -> str:
    """The rows of an upstream table a run extracts; a reference table is read whole."""
    if not source.window_columns:
        return "TRUE"
    return window_condition(source.window_columns, source.created_column, ctx)


def split_bounds(source: Source, where: str) -> tuple[int, int, int]:
    """min, max and count of the split column over the rows to extract (one indexed query upstream)."""
    low, high, count = upstream_row(f"SELECT min({source.split_column}), max({source.split_column}), count(*) "
                                    f"FROM rainforest.{source.table} WHERE {where}")
    return int(low or 0), int(high or 0), int(count)


def extract(spark: SparkSession, source: Source, ctx: RunContext) -> DataFrame:
    url, properties = jdbc_options()
    where = source_filter(source, ctx)
    query = f"(SELECT * FROM rainforest.{source.table} WHERE {where}) AS src"
    if source.split_column is None:
        return spark.read.jdbc(url, query, properties=properties)
    low, high, count = split_bounds(source, where)
    partitions = max(1, min(JDBC_MAX_PARTITIONS, -(-count // JDBC_ROWS_PER_PARTITION)))
    if partitions == 1:
        return spark.read.jdbc(url, query, properties=properties)
    return spark.read.jdbc(url, query, column=source.split_column, lowerBound=low, upperBound=high + 1,
                           numPartitions=partitions, properties=properties)
