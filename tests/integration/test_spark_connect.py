"""Crash semantics of the one Spark Connect server: a killed run's operations are stopped before the next writer
touches the lake (they would otherwise run on and commit), and a killed server fails the run in one sentence with
main unchanged; after `stack up` the next run equals the SQL oracle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import pytest
from pyspark.sql.connect.session import SparkSession as RemoteSession

from datagen.generate import generate
from infra.local import stack
from infra.settings import settings
from tables.engine.lake import catalog
from tables.engine.spark import forget_session, get_spark, remote
from tables.engine.writer_lock import writer_lock

from .conftest import main_snapshots
from .test_publish_crash_safety import both_reports, finish, oracle, output_of, start_run, wait_until_paused

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PROBE = "lake.closed.late_commit"
SERVER_DAY = date(2026, 11, 13)
SLOW_WRITER = f"""
import sys, time
from tables.engine.spark import get_spark
from tables.engine.writer_lock import writer_lock
with writer_lock("a slow write"):
    print("writing", flush=True)
    started = time.monotonic()
    get_spark().sql("INSERT INTO {PROBE} SELECT sum(hash(a.id, b.id)) FROM range(" + sys.argv[1] + ") a "
                    "CROSS JOIN range(" + sys.argv[1] + ") b")
    print(f"wrote in {{time.monotonic() - started:.1f}} s", flush=True)
"""  # a CPU-bound query, then one commit


HOLDER = """
from tables.engine.spark import get_spark, held, session_id
frame = held(get_spark().range(100_000))  # still referenced as the process exits
print(session_id())
"""


def test_a_process_that_exits_releases_its_session_and_the_rows_it_held() -> None:
    """Else the server keeps them in its heap until the session's idle timeout (30 minutes)."""
    ended = subprocess.run([sys.executable, "-c", HOLDER], capture_output=True, text=True, timeout=300, check=True)
    session = RemoteSession(connection=remote(settings(), ended.stdout.split()[-1]))
    try:
        with pytest.raises(Exception, match="SESSION_CLOSED"):
            session.range(1).count()
    finally:
        session.client.close()


def probe_snapshots() -> int:
    return len(catalog().load_table(PROBE.removeprefix("lake.")).metadata.snapshots)


def slow_writer(rows: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(rows)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_a_killed_writer_s_operations_are_stopped_before_the_next_writer_goes_on(published: None) -> None:
    spark = get_spark()
    spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.closed")
    spark.sql(f"CREATE OR REPLACE TABLE {PROBE} (n BIGINT) USING iceberg")
    undisturbed = slow_writer(40_000)  # how long the write takes when nobody stops it
    output = undisturbed.communicate(timeout=300)[0]
    assert undisturbed.returncode == 0 and probe_snapshots() == 1, output
    seconds = float(output.split("wrote in ")[1].split()[0])

    killed = slow_writer(40_000)
    assert killed.stdout is not None and killed.stdout.readline().strip() == "writing"
    time.sleep(min(2.0, seconds / 4))  # the INSERT is running on the server
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    with writer_lock("the next writer"):  # stops what the dead holder left running
        pass
    time.sleep(2 * seconds + 5)  # twice what the write needs: a write that went on would have committed
    assert probe_snapshots() == 1
    spark.sql(f"DROP TABLE {PROBE} PURGE")


def test_a_killed_spark_server_fails_the_run_cleanly_and_the_next_run_after_stack_up_is_right(
        published: None) -> None:
    generate(SERVER_DAY, 1, 300, seed=13)  # orders of its own: whatever ran before, the run has a table to write
    before, reports = main_snapshots(), both_reports()
    process = start_run(SERVER_DAY, "written:bronze.orders")
    marker = wait_until_paused(process, "written:bronze.orders")
    server = int((settings().home / "spark" / "connect.pid").read_text())
    os.killpg(server, signal.SIGKILL)
    marker.unlink()  # the run goes on against a server that is gone
    try:
        output = output_of(process, 600)
    finally:  # whatever the run did, the modules after this one find the server up
        forget_session()  # this process's session went with the server
        stack.up(["spark"])
    assert process.returncode != 0 and "Traceback" not in output, output[-3000:]
    assert "Spark Connect server did not answer" in output and "main is unchanged" in output, output[-3000:]
    assert "rainforest stack up" in output
    assert main_snapshots() == before and both_reports() == reports
    finish(start_run(SERVER_DAY))
    assert both_reports() == oracle()  # earlier modules published later dates: a rerun keeps them
