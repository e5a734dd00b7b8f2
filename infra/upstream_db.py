"""The upstream application database (PostgreSQL): connections and queries, with errors that never print its
password."""

from __future__ import annotations

import psycopg2

from infra.errors import UPSTREAM, RainforestError, ServiceUnavailableError
from infra.settings import redacted, redacted_dsn, settings


def connect_upstream() -> psycopg2.extensions.connection:
    """A connection to the upstream database. libpq's errors can quote the DSN: they are redacted, and raised
    from None, since a traceback would print the original error's text."""
    dsn = settings().upstream_dsn
    try:
        return psycopg2.connect(dsn, connect_timeout=5)
    except psycopg2.ProgrammingError as error:
        raise RainforestError(f"RAINFOREST_UPSTREAM_DSN {redacted_dsn(dsn)} is not a valid DSN: "
                              f"{redacted(str(error).strip(), dsn)}") from None
    except psycopg2.OperationalError as error:
        raise ServiceUnavailableError(UPSTREAM, redacted_dsn(dsn),
                                      redacted(str(error).strip(), dsn)) from None


def upstream_rows(sql: str) -> list[tuple]:
    """The rows a query on the upstream database returns."""
    conn = connect_upstream()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def upstream_row(sql: str) -> tuple:
    """The one row a query on the upstream database returns."""
    return upstream_rows(sql)[0]
