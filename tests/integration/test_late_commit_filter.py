"""The late-commit filter in Postgres: a row counts as committed after a snapshot when its transaction was
at or after the snapshot's xmax, or in flight then; transaction ids wrap around at 2^32."""

from __future__ import annotations

import pytest

from tables.engine.extract import committed_after

from .conftest import pg_rows

pytestmark = pytest.mark.integration


def committed_after_snapshot(snapshot: str, xids: list[int]) -> list[int]:
    values = ", ".join(f"({xid}::bigint)" for xid in xids)
    return [xid for (xid,) in pg_rows(f"SELECT xmin FROM (VALUES {values}) AS t(xmin) "
                                      f"WHERE {committed_after(snapshot)} ORDER BY 1")]


def test_in_flight_and_later_transactions_are_after_and_earlier_ones_are_not(upstream: None) -> None:
    assert committed_after_snapshot("1000:1010:1003,1007", [999, 1000, 1003, 1005, 1007, 1010, 5000]) == [
        1003, 1007, 1010, 5000]


def test_transaction_ids_that_wrapped_around_are_still_later(upstream: None) -> None:
    # xid8 4294967290 is 32-bit 4294967290; the counter then wraps: 4294967300 is 4 in a row's xmin
    assert committed_after_snapshot("4294967290:4294967295:", [4294967280, 4294967294, 4294967295, 3, 100]) == [
        3, 100, 4294967295]
