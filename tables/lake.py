"""The lake through pyiceberg and the REST catalog: no JVM, for reports, tests, benchmarks and the metadata
reads of the engine (one HTTP round trip instead of a Spark job over metadata tables)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.table.refs import SnapshotRefType

from infra.errors import ServiceUnavailableError
from infra.settings import Settings, settings

_per_thread = threading.local()
DATA_CHANGES = ("added-data-files", "deleted-data-files", "added-delete-files", "removed-delete-files")


@dataclass(frozen=True)
class BranchHead:
    snapshot_id: int
    total_records: int
    added_records: int
    changes_data: bool  # the snapshot added or removed data or delete files (a no-op merge commits none)


def catalog() -> Catalog:
    cfg = settings()
    try:
        return load_catalog("lake", **cfg.pyiceberg_properties())
    except Exception as error:  # pyiceberg raises plain connection errors from requests
        raise ServiceUnavailableError("Iceberg REST catalog (SeaweedFS)", cfg.catalog_uri, str(error)) from error


def thread_catalog() -> Catalog:
    """One catalog client per thread and configuration: tables are built on concurrent task threads."""
    cfg: Settings = settings()
    cached = getattr(_per_thread, "catalog", None)
    if cached is None or cached[0] is not cfg:
        _per_thread.catalog = cached = (cfg, catalog())
    return cached[1]


def branch_heads(identifier: str) -> dict[str, BranchHead]:
    """Every branch of a table with its head snapshot's id and record counts."""
    table = thread_catalog().load_table(identifier)
    heads = {}
    for name, ref in table.refs().items():
        snapshot = table.snapshot_by_id(ref.snapshot_id)
        if ref.snapshot_ref_type is not SnapshotRefType.BRANCH or snapshot is None or snapshot.summary is None:
            continue
        summary = snapshot.summary
        heads[name] = BranchHead(ref.snapshot_id, int(summary.get("total-records") or 0),
                                 int(summary.get("added-records") or 0),
                                 any(int(summary.get(key) or 0) for key in DATA_CHANGES))
    return heads


def purge_all_tables() -> None:
    """Drop every table of the configured warehouse with its files (tests and benchmarks start empty)."""
    lake = catalog()
    for namespace in lake.list_namespaces():
        for identifier in lake.list_tables(namespace):
            lake.purge_table(identifier)
