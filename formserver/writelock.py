"""One writer at a time on a SQLite file, across threads and worker processes.

SQLite lets one connection write at a time. A connection that finds the file
locked by another process does not wait in a queue: its busy handler sleeps and
tries again, with sleeps growing from 1 ms to 100 ms, so under load the lock
sits idle while every waiter sleeps. Measured with two gunicorn workers, most
of a step POST went in those sleeps.

Writers of formserver therefore queue on an advisory ``flock`` of a file beside
the database, which the kernel hands to the next waiter the moment it is
released, and take SQLite's own lock once they hold it. SQLite's busy timeout
stays as the fallback for writers outside formserver (a ``sqlite3`` shell).
A process that dies holding the lock releases it with its file descriptors.

Known limit: ``flock`` is advisory and local, so the lock is worth nothing on a
network file system; SQLite's WAL mode does not work there either.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WriteLock:
    """The lock that writers of the SQLite file at ``database_path`` take first."""

    def __init__(self, database_path: str) -> None:
        in_memory = database_path in ("", ":memory:")
        self.path = None if in_memory else f"{database_path}.lock"
        self._local = threading.local()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Wait for the lock, hold it for the ``with`` block, then hand it on."""
        if self.path is None:
            yield
            return

        descriptor = self._descriptor(self.path)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)

    def _descriptor(self, path: str) -> int:
        # flock excludes open file descriptions, not threads or processes: each
        # thread opens its own, and a forked worker never reuses its parent's.
        lock_file: _LockFile | None = getattr(self._local, "lock_file", None)
        if lock_file is None or lock_file.pid != os.getpid():
            lock_file = _LockFile(path)
            self._local.lock_file = lock_file
        return lock_file.descriptor


class _LockFile:
    """A descriptor of the lock file, closed with the thread that opened it."""

    def __init__(self, path: str) -> None:
        self.pid = os.getpid()
        self.descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def __del__(self) -> None:
        if self.pid == os.getpid():
            os.close(self.descriptor)
