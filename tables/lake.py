"""The lake through pyiceberg and the REST catalog: no JVM, for reports, tests and benchmarks."""

from __future__ import annotations

from pyiceberg.catalog import Catalog, load_catalog

from infra.errors import ServiceUnavailableError
from infra.settings import settings


def catalog() -> Catalog:
    cfg = settings()
    try:
        return load_catalog("lake", **cfg.pyiceberg_properties())
    except Exception as error:  # pyiceberg raises plain connection errors from requests
        raise ServiceUnavailableError("Iceberg REST catalog (SeaweedFS)", cfg.catalog_uri, str(error)) from error


def purge_all_tables() -> None:
    """Drop every table of the configured warehouse with its files (tests and benchmarks start empty)."""
    lake = catalog()
    for namespace in lake.list_namespaces():
        for identifier in lake.list_tables(namespace):
            lake.purge_table(identifier)
