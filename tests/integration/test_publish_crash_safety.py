"""Real processes, real signals: `rainforest run` is SIGKILLed (its whole process group) at named points — in
bronze, in silver, between two gold fast-forwards, between the two interface tables. Readers always see one whole
publish, and the next run completes what was interrupted and ends with reports equal to the SQL oracle on upstream.
Two runs started together: one fails fast with a clear message, the lake ends right."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import psycopg2
import pytest

from datagen.generate import generate
from infra.local import stack
from infra.settings import settings, stack_settings
from tables.publish.protocol import interrupted, last_release, log_rows, published_dates
from tables.read.reports import report_rows
from tables.registry import all_tables
from tables.spec import LAYERS

from . import stop_at
from .conftest import START, expected, main_snapshots

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RAINFOREST = str(Path(sys.executable).parent / "rainforest")
RUN_LOGS = Path(tempfile.mkdtemp(prefix="rainforest-runs-"))  # the runs' output files, removed as pytest exits
atexit.register(shutil.rmtree, RUN_LOGS, ignore_errors=True)
KILL_DAY, NEXT_DAY = date(2026, 11, 9), date(2026, 11, 10)
FAR = date(2026, 12, 31)


def both_reports() -> tuple[list[dict], list[dict]]:
    return report_rows("orders", START, FAR), report_rows("categories", START, FAR)


def oracle() -> tuple[list[dict], list[dict]]:
    """Both reports computed on upstream up to the last published date (modules that ran before this one may
    have published dates after this module's)."""
    last = max(published_dates(log_rows()))
    return expected("orders", last), expected("categories", last)


class Run(subprocess.Popen[str]):
    """A `rainforest` process in a process group of its own, its output going to a file: a pipe that nobody reads
    while the test waits for the run would fill up and stop it."""

    def __init__(self, command: list[str], env: Mapping[str, str] = os.environ) -> None:
        self.log = Path(tempfile.mkdtemp(dir=RUN_LOGS)) / "output.log"
        with self.log.open("w") as out:
            super().__init__(command, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=out, stderr=subprocess.STDOUT,
                             text=True, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text()


def start_run(run_date: date, pause_at: str | None = None, home: Path | None = None,
              command: str = "run") -> Run:
    """`rainforest run` (or `maintain`), stopping at `pause_at` (`stop_at.py`); with `home`, from another state
    folder (its own writer lock, as on another host) against the same lake."""
    marker = (home or settings().home) / "paused"
    marker.unlink(missing_ok=True)
    env = dict(os.environ)
    if home:
        env.update(RAINFOREST_HOME=str(home), RAINFOREST_JARS_DIR=str(stack_settings().jars_dir))
    arguments = ["run", "--date", str(run_date)] if command == "run" else [command, "--retention-days", "0"]
    return Run(stop_at.command(arguments, pause_at, marker) if pause_at else [RAINFOREST, *arguments], env)


def wait_until_paused(process: Run, point: str, home: Path | None = None) -> Path:
    marker = (home or settings().home) / "paused"
    deadline = time.monotonic() + 600
    while not (marker.exists() and point in marker.read_text()):
        assert process.poll() is None, f"the run ended before {point}:\n{process.output()[-3000:]}"
        if time.monotonic() > deadline:
            output_of(process, 0)  # fails the test with the run's threads' stacks
        time.sleep(0.5)
    return marker


def kill_when_paused(process: Run, point: str) -> None:
    """Wait until the run reaches `point`, then SIGKILL its whole process group."""
    wait_until_paused(process, point)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


def output_of(process: Run, seconds: int = 900) -> str:
    """The run's output once it ends. A run still going after `seconds` prints every thread's stack (SIGUSR1, see
    `flows.cli`), is killed, and fails the test with the end of its output."""
    try:
        process.wait(timeout=seconds)
        return process.output()
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGUSR1)
        time.sleep(2)
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"the run did not end within {seconds} s:\n{process.output()[-6000:]}")


def finish(process: Run) -> str:
    output = output_of(process)
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
    assert both_reports() == oracle()


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
    assert both_reports() == oracle()


def run_and_restart(service: str, layer: str) -> tuple[int, str]:
    """A rerun of NEXT_DAY during which `service` is stopped as soon as the run starts `layer` (it has printed
    the line of every table before it), and started again 3 s later; returns the run's exit code and output."""
    process = start_run(NEXT_DAY)
    earlier = [re.compile(rf"\s{spec.layer}\s+{spec.name}\s") for spec in all_tables()
               if LAYERS.index(spec.layer) < LAYERS.index(layer)]
    deadline = time.monotonic() + 600
    while not (f"{NEXT_DAY}: incremental run" in (output := process.output())
               and all(pattern.search(output) for pattern in earlier)):
        assert process.poll() is None and time.monotonic() < deadline, output[-3000:]
        time.sleep(0.2)
    stack.down([service])
    time.sleep(3)  # long enough for the run's in-flight calls to fail
    stack.up([service])
    output = output_of(process)
    return process.returncode, output


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
    assert both_reports() == oracle()


def test_a_writer_on_another_host_never_reverts_a_publish(days: None, tmp_path: Path) -> None:
    """Two writers that do not share a writer lock: the one that built on a lake that changed before it could
    publish fails, naming the other writer, and publishes nothing; every main is what the last publish says."""
    other_host = tmp_path / "other-host"
    late = start_run(NEXT_DAY, "publishing", home=other_host)
    marker = wait_until_paused(late, "publishing", other_host)
    finish(start_run(NEXT_DAY))  # this host's run builds and publishes the date meanwhile
    marker.unlink()  # the other host's run goes on to publish what it built before that
    output = output_of(late, 600)
    assert late.returncode == 2, output[-3000:]
    assert "another writer published to the lake since this run started" in output, output[-3000:]
    assert "Traceback" not in output
    release = last_release()
    assert release is not None and interrupted(log_rows()) is None
    assert {name: snapshot for name, snapshot in main_snapshots().items() if name in release.snapshots} \
        == release.snapshots
    assert both_reports() == oracle()


def test_upkeep_after_a_killed_publish_completes_it_and_the_next_run_succeeds(days: None) -> None:
    kill_when_paused(start_run(NEXT_DAY, "published:gold.daily_product_revenue"),
                     "published:gold.daily_product_revenue")
    assert interrupted(log_rows()) is not None
    output = finish(start_run(NEXT_DAY, command="maintain"))  # compacts mains and expires with zero retention
    assert "completed the publish of" in output
    assert interrupted(log_rows()) is None
    finish(start_run(NEXT_DAY))
    assert both_reports() == oracle()


def test_a_lake_that_stops_answering_mid_publish_is_reported_as_a_publish_half_done(days: None) -> None:
    reports = both_reports()
    process = start_run(NEXT_DAY, "published:silver.fact_orders")  # some mains have moved
    marker = wait_until_paused(process, "published:silver.fact_orders")
    stack.down(["seaweedfs"])
    try:
        marker.unlink()
        output = output_of(process, 600)
    finally:
        stack.up(["seaweedfs"])
    assert process.returncode == 2, output[-3000:]
    assert "did not answer" in output and "its publish may be half done" in output, output[-3000:]
    assert "main is unchanged" not in output and "Traceback" not in output
    assert both_reports() == reports
    assert "completed the publish of" in finish(start_run(NEXT_DAY))
    assert both_reports() == oracle()


def test_an_order_committed_after_its_day_was_published_arrives_with_the_next_run(days: None) -> None:
    """A long transaction: an order (and its item) stamped on a published day, committed only after a run that
    could not see it. The next run takes it, restates its day, and both reports equal the oracle."""
    late = psycopg2.connect(settings().upstream_dsn)
    try:
        with late.cursor() as cur:
            cur.execute("INSERT INTO rainforest.orders SELECT 99000000777, buyer_id, %(at)s, 123.45, %(at)s "
                        "FROM rainforest.orders LIMIT 1", {"at": f"{KILL_DAY} 12:00"})
            cur.execute("INSERT INTO rainforest.orderitem SELECT 99000000777, 99000000777, product_id, seller_id, "
                        "1, 123.45, 0, %(at)s FROM rainforest.orderitem LIMIT 1", {"at": f"{KILL_DAY} 12:01"})
        finish(start_run(NEXT_DAY))  # the transaction is open: this run cannot see the order
        assert both_reports() == oracle()
        before = [row for row in both_reports()[0] if row["order_date"] == KILL_DAY]
        late.commit()
    finally:
        late.close()
    finish(start_run(NEXT_DAY))
    orders, categories = both_reports()
    assert (orders, categories) == oracle()
    day = next(row for row in orders if row["order_date"] == KILL_DAY)
    assert day["order_count"] == before[0]["order_count"] + 1
