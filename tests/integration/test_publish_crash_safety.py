"""Real processes, real signals: `rainforest run` is SIGKILLed (with its JVM) at named points — in bronze, in
silver, between two gold fast-forwards, between the two interface tables. Readers always see one whole publish,
and the next run completes what was interrupted and ends with reports equal to the SQL oracle on upstream.
Two runs started together: one fails fast with a clear message, the lake ends right."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from datagen.generate import generate
from infra.local import stack
from infra.settings import settings
from tables.publish import interrupted, last_release, log_rows
from tables.registry import all_tables
from tables.reports import report_rows
from tables.spec import LAYERS

from .conftest import START, expected, main_snapshots

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RAINFOREST = str(Path(sys.executable).parent / "rainforest")
KILL_DAY, NEXT_DAY = date(2026, 11, 9), date(2026, 11, 10)
FAR = date(2026, 12, 31)


def both_reports() -> tuple[list[dict], list[dict]]:
    return report_rows("orders", START, FAR), report_rows("categories", START, FAR)


def start_run(run_date: date, pause_at: str | None = None) -> subprocess.Popen[str]:
    marker = settings().home / "paused"
    marker.unlink(missing_ok=True)
    env = {**os.environ, "RAINFOREST_PAUSE_MARKER": str(marker), "PYTHONUNBUFFERED": "1"}
    if pause_at:
        env["RAINFOREST_PAUSE_AT"] = pause_at
    return subprocess.Popen([RAINFOREST, "run", "--date", str(run_date)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def kill_when_paused(process: subprocess.Popen[str], point: str) -> None:
    """Wait until the run reaches `point`, then SIGKILL its whole process group (Python and the Spark JVM)."""
    marker = settings().home / "paused"
    deadline = time.monotonic() + 600
    while not (marker.exists() and point in marker.read_text()):
        assert process.poll() is None, f"the run ended before {point}:\n{process.communicate()[0][-3000:]}"
        assert time.monotonic() < deadline, f"the run never reached {point}"
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


def finish(process: subprocess.Popen[str]) -> str:
    output = process.communicate(timeout=900)[0]
    assert process.returncode == 0, output[-4000:]
    return output


@pytest.fixture(scope="module")
def days(published: None) -> None:
    generate(KILL_DAY, 2, 300, seed=7)


@pytest.mark.parametrize("point", ["written:bronze.orders", "written:silver.fact_orders"])
def test_killed_while_writing_leaves_every_main_as_it_was(days: None, point: str) -> None:
    before, reports = main_snapshots(), both_reports()
    kill_when_paused(start_run(KILL_DAY, point), point)
    assert main_snapshots() == before
    assert both_reports() == reports


@pytest.mark.parametrize("point", ["published:gold.daily_product_revenue",
                                   "published:interface.daily_category_report"])
def test_killed_while_publishing_readers_see_the_last_whole_publish_and_the_next_run_completes_it(
        days: None, point: str) -> None:
    reports, release = both_reports(), last_release()
    kill_when_paused(start_run(KILL_DAY, point), point)
    assert interrupted(log_rows()) is not None  # some mains moved, the publish is not complete
    assert both_reports() == reports  # readers resolve through the last complete publish: no mix
    assert last_release() == release
    output = finish(start_run(KILL_DAY))
    assert "completed the publish of" in output and "that a killed run left half done" in output
    assert interrupted(log_rows()) is None
    assert both_reports() == (expected("orders", KILL_DAY), expected("categories", KILL_DAY))


def test_two_runs_at_once_one_fails_fast_and_the_lake_ends_right(days: None) -> None:
    first = start_run(NEXT_DAY, "written:bronze.orders")  # holds the writer lock until it is let go
    marker = settings().home / "paused"
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.5)
    for run_date in (NEXT_DAY, KILL_DAY):  # the same date, and another one
        second = subprocess.run([RAINFOREST, "run", "--date", str(run_date)], capture_output=True, text=True,
                                timeout=300)
        assert second.returncode != 0
        assert "another run is writing the lake" in second.stderr and "Traceback" not in second.stderr
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=60)
    finish(start_run(NEXT_DAY))
    assert both_reports() == (expected("orders", NEXT_DAY), expected("categories", NEXT_DAY))


def run_and_restart(service: str, layer: str) -> tuple[int, str]:
    """A rerun of NEXT_DAY during which `service` is stopped as soon as the run starts `layer` (it has printed
    the line of every table before it), and started again 3 s later; returns the run's exit code and output."""
    process = start_run(NEXT_DAY)
    assert process.stdout is not None
    earlier = [re.compile(rf"\s{spec.layer}\s+{spec.name}\s") for spec in all_tables()
               if LAYERS.index(spec.layer) < LAYERS.index(layer)]
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        started = f"{NEXT_DAY}: incremental run" in "".join(lines)
        if started and all(any(pattern.search(seen) for seen in lines) for pattern in earlier):
            break
    stack.down([service])
    time.sleep(3)  # long enough for the run's in-flight calls to fail
    stack.up([service])
    lines.append(process.communicate(timeout=900)[0])
    return process.returncode, "".join(lines)


@pytest.mark.parametrize("service, layer", [("postgres", "bronze"), ("seaweedfs", "silver")])
def test_a_service_restarted_mid_run_is_retried_or_fails_cleanly(days: None, service: str, layer: str) -> None:
    before, reports = main_snapshots(), both_reports()
    code, output = run_and_restart(service, layer)
    assert "Traceback" not in output, output[-3000:]
    retried = "retry 1 of" in output
    print(f"{service} restarted mid-run: exit {code}, {'retried' if retried else 'no retry'}")  # for the record
    (settings().home / f"restart-{service}.log").write_text(output)
    if code != 0:  # failed after its retries: clearly, naming the service, with nothing published
        assert "did not answer" in output and "main is unchanged" in output, output[-3000:]
        assert main_snapshots() == before and both_reports() == reports
        finish(start_run(NEXT_DAY))
    assert both_reports() == (expected("orders", NEXT_DAY), expected("categories", NEXT_DAY))
