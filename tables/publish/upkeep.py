"""Table upkeep, weekly, under the writer lock (never beside a daily run) and logged in the publish log as it
begins and ends (a run elsewhere that overlaps it publishes nothing): per table, small data files are
compacted, snapshots older than the retention are expired with the files only they reference, and files no
snapshot references (left by killed writes) are removed once older than the retention.

What readers and runs need is kept: the snapshot of the last complete publish (tagged `published`: readers
resolve through it), every branch head (a failed run's branch stays for inspection) and main."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyiceberg.table.refs import SnapshotRefType
from pyspark.sql import SparkSession

from infra.errors import RainforestError
from tables.engine import lake
from tables.engine.spark import CATALOG
from tables.publish.protocol import interrupted, last_release, log_state, log_upkeep

PUBLISHED_TAG = "published"


@dataclass(frozen=True)
class Upkeep:
    table: str
    snapshots: tuple[int, int]  # before, after
    data_files: tuple[int, int]
    seconds: float


def sizes(identifier: str) -> tuple[int, int]:
    """Snapshots in the table's metadata, and data files main references."""
    table = lake.thread_catalog().load_table(identifier)
    return len(table.metadata.snapshots), table.inspect.files().num_rows


def pin(identifier: str, snapshot_id: int) -> None:
    """Tag the snapshot readers resolve through, so expiry keeps it (a later compaction moves main)."""
    table = lake.thread_catalog().load_table(identifier)
    current = table.refs().get(PUBLISHED_TAG)
    if current is not None and current.snapshot_id == snapshot_id:
        return
    with table.manage_snapshots() as refs:
        if current is not None and current.snapshot_ref_type is SnapshotRefType.TAG:
            refs.remove_tag(PUBLISHED_TAG)
        refs.create_tag(snapshot_id, PUBLISHED_TAG)


ORPHAN_AGE = timedelta(days=1)  # Iceberg refuses less: a younger unreferenced file may belong to a write in flight


def maintain(spark: SparkSession, retention: timedelta) -> list[Upkeep]:
    """Upkeep of every table. An interrupted publish must be completed first (`publish.resume_interrupted`):
    compaction would move main past its snapshots and expiry could delete them."""
    rows, log_snapshot = log_state()
    if interrupted(rows) is not None:
        raise RainforestError("a publish is interrupted: complete it first (any `rainforest run`, or "
                              "`rainforest maintain`, which completes it before upkeep)")
    release = last_release(rows)
    log_upkeep("began", log_snapshot)  # only if no run published since this read
    now = datetime.now(UTC).replace(tzinfo=None)  # the session's time zone is UTC
    cutoff, orphans = (f"{now - age:%Y-%m-%d %H:%M:%S}" for age in (retention, max(retention, ORPHAN_AGE)))
    done = []
    for namespace in lake.catalog().list_namespaces():
        for name in lake.catalog().list_tables(namespace):
            identifier = ".".join(name)
            started, before = time.monotonic(), sizes(identifier)
            if release is not None and identifier in release.snapshots:
                pin(identifier, release.snapshots[identifier])
            table = f"'{identifier}'"
            spark.sql(f"CALL {CATALOG}.system.rewrite_data_files(table => {table}, "
                      "options => map('min-input-files', '2'))").collect()
            spark.sql(f"CALL {CATALOG}.system.expire_snapshots(table => {table}, "
                      f"older_than => TIMESTAMP '{cutoff}', retain_last => 1)").collect()
            spark.sql(f"CALL {CATALOG}.system.remove_orphan_files(table => {table}, "
                      f"older_than => TIMESTAMP '{orphans}', prefix_listing => true)").collect()  # S3FileIO lists
            after = sizes(identifier)
            done.append(Upkeep(identifier, (before[0], after[0]), (before[1], after[1]),
                               time.monotonic() - started))
    log_upkeep("ended")  # upkeep compacted the log too: its snapshot moved
    return done
