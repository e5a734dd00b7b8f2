"""The lake through pyiceberg and the REST catalog: no JVM, for reports, tests, benchmarks and the metadata
reads of the runner (one HTTP round trip instead of a Spark job over metadata tables)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table import Table
from pyiceberg.table.refs import SnapshotRef, SnapshotRefType
from pyiceberg.table.snapshots import Snapshot

from infra.errors import CATALOG, ConcurrentWriterError, ServiceUnavailableError
from infra.settings import Settings, settings

_per_thread = threading.local()
DATA_CHANGES = ("added-data-files", "deleted-data-files", "added-delete-files", "removed-delete-files")


@dataclass(frozen=True)
class BranchHead:
    snapshot_id: int
    total_records: int
    added_records: int
    changes_data: bool  # its snapshots added or removed data or delete files (a no-op merge commits none)


def catalog() -> Catalog:
    cfg = settings()
    try:
        return load_catalog("lake", **cfg.pyiceberg_properties())
    except Exception as error:  # pyiceberg raises plain connection errors from requests
        raise ServiceUnavailableError(CATALOG, cfg.catalog_uri, str(error)) from error


def thread_catalog() -> Catalog:
    """One catalog client per thread and configuration: tables are built on concurrent task threads."""
    cfg: Settings = settings()
    cached = getattr(_per_thread, "catalog", None)
    if cached is None or cached[0] is not cfg:
        _per_thread.catalog = cached = (cfg, catalog())
    return cached[1]


def branch_heads(identifier: str) -> dict[str, BranchHead]:
    """Every branch of a table with its head snapshot's id and record counts. A run branch's added records and
    data changes add up its snapshots since main (a run may commit several times, e.g. a merge then a delete)."""
    table = thread_catalog().load_table(identifier)
    refs = table.refs()
    main = refs["main"].snapshot_id if "main" in refs else None
    heads = {}
    for name, ref in refs.items():
        snapshot = table.snapshot_by_id(ref.snapshot_id)
        if ref.snapshot_ref_type is not SnapshotRefType.BRANCH or snapshot is None or snapshot.summary is None:
            continue
        total = int(snapshot.summary.get("total-records") or 0)
        added, changes = 0, False
        current: Snapshot | None = snapshot
        while current is not None and current.summary is not None and (name == "main" or current.snapshot_id != main):
            added += int(current.summary.get("added-records") or 0)
            changes = changes or any(int(current.summary.get(key) or 0) for key in DATA_CHANGES)
            parent = current.parent_snapshot_id
            current = None if name == "main" or parent is None else table.snapshot_by_id(parent)
        heads[name] = BranchHead(ref.snapshot_id, total, added, changes)
    return heads


def purge_all_tables() -> None:
    """Drop every table of the configured warehouse with its files (tests and benchmarks start empty)."""
    lake = catalog()
    for namespace in lake.list_namespaces():
        for identifier in lake.list_tables(namespace):
            lake.purge_table(identifier)


def create_branch(identifier: str, branch: str) -> None:
    """Start a run's branch at main (so a table's inputs and outputs of a run are read from one place)."""
    table = thread_catalog().load_table(identifier)
    if branch in table.refs():  # a retried task starts over from main
        table.manage_snapshots().remove_branch(branch).commit()
    table.manage_snapshots().create_branch(table.refs()["main"].snapshot_id, branch).commit()


def descends_from(table: Table, snapshot_id: int, ancestor_id: int) -> bool:
    current = table.snapshot_by_id(snapshot_id)
    while current is not None:
        if current.snapshot_id == ancestor_id:
            return True
        current = None if current.parent_snapshot_id is None else table.snapshot_by_id(current.parent_snapshot_id)
    return False


def move_main(identifier: str, snapshot_id: int, drop_prefix: str) -> bool:
    """Fast-forward main to a snapshot a run branch audited and drop every branch whose name starts with
    `drop_prefix`, in one table load and one commit; False if main already was there. Main moves only forward
    (the snapshot descends from main) and only from the main this process loaded (the catalog checks it at the
    commit): a writer elsewhere that moved main since the run branched makes this raise, never revert it."""
    table = thread_catalog().load_table(identifier)
    refs = table.refs()
    main = refs["main"].snapshot_id
    if main != snapshot_id and not descends_from(table, snapshot_id, main):
        raise ConcurrentWriterError(
            f"main of {identifier} is at snapshot {main}, which the run's snapshot {snapshot_id} does not build "
            "on: another writer (a run from another host or state folder, or table upkeep) published since this "
            "run branched; this run does not overwrite it")
    moving = main != snapshot_id
    dropped = branches_named(refs, drop_prefix)
    if moving or dropped:
        try:
            with table.manage_snapshots() as manage:
                if moving:
                    manage.set_current_snapshot(snapshot_id=snapshot_id)
                for name in dropped:
                    manage.remove_branch(name)
        except CommitFailedException as error:
            raise ConcurrentWriterError(f"main of {identifier} moved while this run published it ({error}): "
                                        "another writer is publishing; this run does not overwrite it") from error
    return moving


def branches_named(refs: dict[str, SnapshotRef], prefix: str) -> list[str]:
    return [name for name, ref in refs.items()
            if name.startswith(prefix) and ref.snapshot_ref_type is SnapshotRefType.BRANCH and name != "main"]


def drop_branches(identifier: str, prefix: str) -> None:
    """Drop every branch whose name starts with `prefix` (one table load, one commit)."""
    table = thread_catalog().load_table(identifier)
    present = branches_named(table.refs(), prefix)
    if present:
        with table.manage_snapshots() as refs:
            for name in present:
                refs.remove_branch(name)
