"""The dates a table is cut by: its date partition, and rows on a set of order dates (as DataFrame filters and
as SQL a scan can prune partitions by)."""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.functions import partitioning
from pyspark.sql.types import DateType

from tables.engine.spark import any_of
from tables.spec import TableSpec

Dates = list[date] | None  # the order dates a table recomputes; None: every date (a restatement)
PARTITION_TRANSFORMS = {"years": partitioning.years, "months": partitioning.months, "days": partitioning.days,
                        "hours": partitioning.hours}


def partition_source(expression: str) -> str:
    name, _, rest = expression.partition("(")
    return rest.rstrip(")") if rest else name


def partition_transform(expression: str) -> Column:
    """`days(order_ts)` → partitioning.days("order_ts"); a bare column name is an identity partition."""
    name, _, rest = expression.partition("(")
    if not rest:
        return F.col(expression)
    return PARTITION_TRANSFORMS[name](F.col(partition_source(expression)))


def date_partition_column(spec: TableSpec) -> str | None:
    """The column a date-partitioned table is partitioned on (`order_date`, or `order_ts` for days(order_ts))."""
    for partition in spec.partitioned_by:
        if partition.startswith("days(") or "(" not in partition:
            return partition_source(partition)
    return None


def day_spans(dates: list[date]) -> list[tuple[date, date]]:
    """The dates as spans [first, day after the last) of consecutive days: a range run's dates are one."""
    spans: list[tuple[date, date]] = []
    for day in sorted(set(dates)):
        if spans and spans[-1][1] == day:
            spans[-1] = (spans[-1][0], day + timedelta(days=1))
        else:
            spans.append((day, day + timedelta(days=1)))
    return spans


def on_dates_condition(frame: DataFrame, column: str, dates: list[date]) -> Column:
    """Rows on those dates. A timestamp column is compared with spans of days, which Iceberg prunes partitions
    by (`to_date(ts)` it cannot)."""
    if isinstance(frame.schema[column].dataType, DateType):
        return F.col(column).isin(dates)
    return any_of([(F.col(column) >= F.lit(low)) & (F.col(column) < F.lit(high)) for low, high in day_spans(dates)])


def on_dates(frame: DataFrame, column: str, dates: Dates) -> DataFrame:
    """Rows on those dates (every row when `dates` is None), plus rows without a date: those are always
    wrong and must reach the checks."""
    if dates is None:
        return frame
    return frame.where(on_dates_condition(frame, column, dates) | F.col(column).isNull())


def on_dates_sql(column: str, is_date: bool, dates: list[date]) -> str:
    """`column` on those dates, as SQL a scan can prune partitions by (spans of days for a timestamp)."""
    if is_date:
        return f"{column} IN ({', '.join(repr(day.isoformat()) for day in dates)})"
    return " OR ".join(f"({column} >= '{low}' AND {column} < '{high}')" for low, high in day_spans(dates))


def written_dates(output: DataFrame, column: str) -> list[date]:
    """The dates a merge writes to (one small job): the partitions its checks look at."""
    return sorted(row.d for row in output.select(F.to_date(column).alias("d")).distinct().collect()
                  if row.d is not None)
