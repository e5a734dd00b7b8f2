"""One writer at a time: an exclusive lock that a crash cannot leave behind.

An advisory `flock` on a file under the state folder: the kernel releases it when the holding process dies,
however it dies (SIGKILL included), so there is never a stale lock to detect or break. The file says who holds
it, for the message a second run gets. It guards runs on one host; runs through Prefect deployments are also
limited to one at a time by the deployments' concurrency limit (prefect.yaml)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from infra.errors import WriterBusyError
from infra.private import private_dir
from infra.settings import settings


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
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {what}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
                  .encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
