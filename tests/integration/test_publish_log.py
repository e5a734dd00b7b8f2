"""The publish log as this process remembers it equals the log in the lake, whoever appended last."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pyarrow as pa
import pytest

from tables.engine.lake import catalog
from tables.engine.table_state import META_PROPERTIES, ensure_namespaces
from tables.publish import protocol

pytestmark = pytest.mark.integration
PROBE = "meta.publish_log_probe"


def complete_row(run_id: str) -> dict[str, object]:
    return {"run_id": run_id, "run_date": date(2026, 1, 2), "state": protocol.COMPLETE,
            "published_at": datetime(2026, 1, 3, 4, 5, 6, 789), "table_name": None, "snapshot_id": None,
            "total_rows": None, "checks_passed": None, "checks_failed": None, "checks": None}


def in_the_lake() -> list[str]:
    return sorted(row["run_id"] for row in catalog().load_table(PROBE).scan().to_arrow().to_pylist())


@pytest.fixture
def probe_log(upstream: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    ensure_namespaces()
    monkeypatch.setattr(protocol, "PUBLISH_LOG", PROBE)
    if catalog().table_exists(PROBE):
        catalog().purge_table(PROBE)
    try:
        yield
    finally:
        catalog().purge_table(PROBE)


def test_rows_read_once_and_extended_by_own_appends_match_the_lake_after_another_writer_appends(
        probe_log: None) -> None:
    assert protocol.log_rows() == []
    protocol.append_log([complete_row("first")])
    assert sorted(row["run_id"] for row in protocol.log_rows()) == in_the_lake() == ["first"]

    protocol.append_log([complete_row("second")])  # extends what this process read
    remembered = protocol.log_rows()
    assert sorted(row["run_id"] for row in remembered) == in_the_lake() == ["first", "second"]
    assert sorted(remembered, key=lambda row: row["run_id"]) == sorted(
        catalog().load_table(PROBE).scan().to_arrow().to_pylist(), key=lambda row: row["run_id"])

    other_writer = catalog().load_table(PROBE)  # another process's client appends behind this one's back
    other_writer.append(pa.Table.from_pylist([complete_row("elsewhere")], schema=protocol.LOG_SCHEMA))
    assert sorted(row["run_id"] for row in protocol.log_rows()) == ["elsewhere", "first", "second"]

    protocol.append_log([complete_row("third")])
    assert sorted(row["run_id"] for row in protocol.log_rows()) == in_the_lake() == [
        "elsewhere", "first", "second", "third"]
    assert catalog().load_table(PROBE).properties.items() >= META_PROPERTIES.items()


def test_a_retried_publish_records_its_checks_once(upstream: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from tables.engine.results import TableResult
    from tables.quality import dq_history
    from tables.spec import RunContext

    ensure_namespaces()
    monkeypatch.setattr(dq_history, "DQ_METRICS", "meta.dq_metrics_probe")
    if catalog().table_exists("meta.dq_metrics_probe"):
        catalog().purge_table("meta.dq_metrics_probe")
    try:
        ctx = RunContext(date(2026, 11, 3))
        result = TableResult("silver.fact_orders", 1, 300, 1.0,
                             [{"check": "row_count > 0", "value": 300, "outcome": "pass"}])
        dq_history.record([result], ctx)
        dq_history.record([result], ctx)  # the publish task's retry after a dropped connection
        dq_history.record([result], RunContext(date(2026, 11, 3)))  # another run of the date
        rows = catalog().load_table("meta.dq_metrics_probe").scan().to_arrow().to_pylist()
        assert len(rows) == 2 and ctx.branch in {row["run_id"] for row in rows}  # one row per run
    finally:
        catalog().purge_table("meta.dq_metrics_probe")
