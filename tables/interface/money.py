"""Money is rounded to cents only at the interface (half up, like Postgres `round(numeric, 2)`)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

MONEY = "decimal(18,2)"


def cents(column: str) -> Column:
    return F.round(column, 2).cast(MONEY).alias(column)
