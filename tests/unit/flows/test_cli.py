"""The command line: bad input gets one sentence and exit code 2, never a traceback."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest


@pytest.mark.parametrize("argv, message", [
    (["backfill", "--start", "2026-11-07", "--end", "2026-11-01"], "--end 2026-11-01 is before --start 2026-11-07"),
    (["report", "orders", "--from", "2026-11-07", "--to", "2026-11-01"], "--from 2026-11-07 is after --to"),
])
def test_reversed_date_ranges_get_one_clear_sentence(argv: list[str], message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


@pytest.mark.parametrize("command, offset, words", [
    ("run", 0, "is today: a day runs once it is over (UTC)"),
    ("run", 40, "is in the future"),
    ("backfill", 1, "is in the future"),
])
def test_a_day_not_over_is_refused_in_one_sentence(command: str, offset: int, words: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    today = datetime.now(UTC).date()
    day = str(today + timedelta(days=offset))
    argv = ["run", "--date", day] if command == "run" else ["backfill", "--start", str(today), "--end", day]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert words in error and f"latest date that can run now is {today - timedelta(days=1)}" in error
    assert "Traceback" not in error and len(error.strip().splitlines()) == 1


def test_a_report_with_the_catalog_down_names_it_and_how_to_start_it(monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main
    from infra.settings import settings

    with socket.socket() as closed:  # a port nothing listens on: bound, never listening
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("RAINFOREST_CATALOG_URI", f"http://127.0.0.1:{closed.getsockname()[1]}")
        settings.cache_clear()
        try:
            assert main(["report", "orders", "--from", "2026-11-01", "--to", "2026-11-02"]) == 2
        finally:
            monkeypatch.undo()
            settings.cache_clear()
    error = capsys.readouterr().err
    assert "Iceberg REST catalog (SeaweedFS) is not reachable" in error and "check RAINFOREST_CATALOG_URI" in error
    assert "Traceback" not in error and len(error.strip().splitlines()) == 1
