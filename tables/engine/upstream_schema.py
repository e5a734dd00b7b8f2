"""Upstream schema changes, met before anything is written: a column added upstream reaches bronze (Iceberg
schema evolution), a column gone upstream is null in bronze from then on unless the model reads it, and then
the run stops at once, naming the table and the column (a rename is a column gone and one added)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from infra.errors import RainforestError
from infra.upstream_db import upstream_rows
from tables import registry
from tables.engine import lake
from tables.engine.spark import qualified
from tables.engine.table_state import table_exists
from tables.spec import TableSpec

INGESTION_COLUMNS = ("_run_date", "_ingested_at")


class UpstreamSchemaError(RainforestError):
    """A column the model reads is gone upstream (dropped or renamed); nothing was written."""


@dataclass(frozen=True)
class Drift:
    table: str  # the bronze table
    added: tuple[str, ...]
    gone: tuple[str, ...]


def upstream_columns() -> dict[str, list[str]]:
    """Upstream table → its columns, in one query."""
    columns: dict[str, list[str]] = {}
    for table, column in upstream_rows("SELECT table_name, column_name FROM information_schema.columns "
                                       "WHERE table_schema = 'rainforest' ORDER BY table_name, ordinal_position"):
        columns.setdefault(table, []).append(column)
    return columns


def drift() -> list[Drift]:
    """How every existing bronze table's columns differ from its upstream table's (catalog reads, no JVM)."""
    upstream = upstream_columns()
    found = []
    for spec in registry.layer_tables("bronze"):
        assert spec.source is not None
        if not table_exists(spec.identifier):
            continue
        schema = lake.thread_catalog().load_table(spec.identifier).schema()
        in_lake = [name for name in schema.column_names if name not in INGESTION_COLUMNS]
        now = upstream.get(spec.source.table, [])
        added, gone = tuple(c for c in now if c not in in_lake), tuple(c for c in in_lake if c not in now)
        if added or gone:
            found.append(Drift(spec.identifier, added, gone))
    return found


def empty(spark: SparkSession, schema: StructType) -> DataFrame:
    return spark.createDataFrame([], schema)


def readers_of(spark: SparkSession, bronze: str, column: str) -> list[str]:
    """Tables whose transform fails to resolve when `column` is missing from `bronze`: the model reads it.
    Only plans are analysed, on empty frames; no Spark job runs."""
    readers = []
    for spec in registry.all_tables():
        params = [param for param, item in spec.inputs.items() if item.table == bronze]
        if not params or not all(table_exists(item.table) for item in spec.inputs.values()):
            continue
        frames = {}
        for param, item in spec.inputs.items():
            schema = spark.table(qualified(item.table)).schema
            if item.table == bronze:
                schema = StructType([field for field in schema.fields if field.name != column])
            frames[param] = empty(spark, schema)
        try:
            _ = spec.transform(**frames).schema  # analysing the plan is the point (eager or not)
        except AnalysisException:
            readers.append(spec.identifier)
    return readers


def check(spark: SparkSession) -> list[Drift]:
    """Before a run writes: fail in one sentence if a column the model reads is gone upstream; else the drift
    the bronze writes will absorb (`align`)."""
    found = drift()
    for change in found:
        for column in change.gone:
            readers = readers_of(spark, change.table, column)
            if readers:
                source = registry.table(change.table).source
                assert source is not None
                added = f" (new upstream columns: {', '.join(change.added)}; a rename?)" if change.added else ""
                raise UpstreamSchemaError(
                    f"column {column} of upstream table rainforest.{source.table} is gone{added}, and "
                    f"{', '.join(readers)} read(s) it: nothing was written or published; restore the column "
                    f"upstream, or change the model to the new schema")
    return found


def align(spark: SparkSession, spec: TableSpec, output: DataFrame) -> DataFrame:
    """A bronze table's extraction in the table's shape: columns new upstream are added to the table (optional,
    earlier rows null), columns gone upstream are written as null."""
    target = qualified(spec.identifier)
    table_schema = spark.table(target).schema
    new = [field for field in output.schema.fields if field.name not in table_schema.names]
    if new:
        spark.sql(f"ALTER TABLE {target} ADD COLUMNS ("
                  + ", ".join(f"`{field.name}` {field.dataType.simpleString()}" for field in new) + ")")
        table_schema = spark.table(target).schema
    return output.select(*[F.col(field.name) if field.name in output.columns
                           else F.lit(None).cast(field.dataType).alias(field.name)
                           for field in table_schema.fields])
