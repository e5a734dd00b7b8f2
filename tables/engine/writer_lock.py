"""One writer at a time: an exclusive lock that a crash cannot leave behind.

An advisory `flock` on a file under the state folder: the kernel releases it when the holding process dies,
however it dies (SIGKILL included), so there is never a stale lock to detect or break. The file says who holds
it, for the message a second run gets, and its session on the Spark Connect server: a holder that died (SIGKILL)
leaves its operations running on the server, and the next holder stops them before it touches the lake. It guards
runs on one host; runs through Prefect deployments are also limited to one at a time by the deployments'
concurrency limit (prefect.yaml)."""

from __future__ import annotations

import fcntl
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from infra.errors import WriterBusyError
from infra.private import private_dir
from infra.settings import settings
from tables.engine.spark import fence_session, session_id

logger = logging.getLogger(__name__)
SESSION = re.compile(r"spark session ([0-9a-f-]{36})")


def fence_dead_holder(record: str) -> None:
    """Stop what the last holder left running on the Spark server: its record still names its session only when
    it died holding the lock (a holder that ends, failed or not, says so)."""
    found = SESSION.search(record)
    if found and found[1] != session_id():
        stopped = fence_session(found[1])
        logger.warning("the last writer died holding the lock (%s); stopped its %d operation(s) on the Spark "
                       "server before writing", record.strip(), len(stopped))


@contextmanager
def writer_lock(what: str) -> Iterator[None]:
    path = settings().home / "writer.lock"
    private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 1024, 0).decode(errors="replace").strip() or "another process"
            raise WriterBusyError(f"another run is writing the lake ({holder}); this run changed nothing — "
                                  "start it again when that one has finished") from None
        fence_dead_holder(os.pread(fd, 1024, 0).decode(errors="replace"))
        since = f"since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
        record(fd, f"pid {os.getpid()}, {what}, {since}, spark session {session_id()}")
        try:
            yield
        finally:
            record(fd, f"pid {os.getpid()}, {what}, {since}, ended")
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def record(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.encode(), 0)
