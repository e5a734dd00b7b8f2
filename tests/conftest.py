"""Tests run against the real local stack, isolated from `make run`'s data: their own upstream database
(`rainforest_test`) and their own Iceberg table bucket (`lake-test`); modules whose timelines must not
meet the others' have theirs (`own_upstream_and_lake`: the timelines, the schema changes, the quality gate)."""

from __future__ import annotations

import os

os.environ.pop("RAINFOREST_UPSTREAM_DSN", None)
os.environ.update({
    "RAINFOREST_PG_DATABASE": "rainforest_test",
    "RAINFOREST_WAREHOUSE": "s3://lake-test/",
    "RAINFOREST_SHUFFLE_PARTITIONS": "2",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "OTEL_SDK_DISABLED": "true",
})

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402

from tables.engine.spark import live_session  # noqa: E402


@pytest.fixture
def spark() -> SparkSession:
    """The process's session on the stack's Spark Connect server (opened again if a test restarted the server)."""
    return live_session()


@pytest.fixture(scope="session")
def prefect() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reverse-modules", action="store_true",
                     help="run the test modules in reverse order (each module's tests keep theirs): every module "
                          "must pass whatever ran before it")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--reverse-modules"):
        return
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    items[:] = [item for module in reversed(modules) for item in modules[module]]
