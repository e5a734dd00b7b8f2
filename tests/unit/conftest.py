"""Unit tests run transforms on a bare local Spark session: no jars, no catalog, no service."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> SparkSession:
    """A bare session; when integration tests run in the same process, theirs (already started) is reused."""
    return (SparkSession.builder.master("local[1]").appName("rainforest-unit")
            .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "1")
            .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
