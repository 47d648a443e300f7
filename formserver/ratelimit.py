"""Rate limits per address and per form that hold across worker processes.

The ``limits`` library decides; its counters live in a small SQLite file beside
the main database, so every gunicorn worker on the host sees the same counts
without a Redis or memcached to run, and counting never contends with the
writes of leads and submissions.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import limits
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from .writelock import WriteLock

BUSY_TIMEOUT_SECONDS = 5.0
#: How often one process drops the counters of ended windows.
PRUNE_INTERVAL_SECONDS = 60.0


class SQLiteCounters(Storage):
    """A ``limits`` storage backend keeping fixed-window counters in SQLite."""

    STORAGE_SCHEME = ["formserver+sqlite"]

    def __init__(self, uri: str | None = None, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=False)
        self.path = (uri or "").split("://", 1)[-1] or ":memory:"
        self._local = threading.local()
        self._write_lock = WriteLock(self.path)
        self._conn().execute(
            "CREATE TABLE IF NOT EXISTS counters"
            " (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL)"
        )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
            )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self.counting():
            cursor = self._conn().execute(
                "INSERT INTO counters VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET"
                " count = CASE WHEN expires <= ? THEN excluded.count"
                " ELSE count + excluded.count END,"
                " expires = CASE WHEN expires <= ? THEN excluded.expires"
                " ELSE expires END"
                " RETURNING count",
                [key, amount, now + expiry, now, now],
            )
            # Reading to the end finishes the statement.
            (row,) = cursor.fetchall()
        return int(row[0])

    @contextmanager
    def counting(self) -> Iterator[None]:
        """One write transaction for every count taken inside the block.

        A request counts against two limits; one transaction takes the lock
        and commits once for both. Blocks nest: the outermost one commits.
        """
        if getattr(self._local, "counting", False):
            yield
            return

        conn = self._conn()
        with self._write_lock.held():
            conn.execute("BEGIN IMMEDIATE")
            self._local.counting = True
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self._local.counting = False
            conn.execute("COMMIT")

    def get(self, key: str) -> int:
        row = (
            self._conn()
            .execute(
                "SELECT count FROM counters WHERE key = ? AND expires > ?",
                [key, time.time()],
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = (
            self._conn()
            .execute("SELECT expires FROM counters WHERE key = ?", [key])
            .fetchone()
        )
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        return self._conn().execute("SELECT 1").fetchone() is not None

    def reset(self) -> int | None:
        return self._conn().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._conn().execute("DELETE FROM counters WHERE key = ?", [key])

    def prune(self) -> None:
        """Drop counters whose window has ended."""
        with self._write_lock.held():
            self._conn().execute(
                "DELETE FROM counters WHERE expires <= ?", [time.time()]
            )


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go on, and if not, when to try again."""

    allowed: bool
    retry_after: int = 0


class RateLimits:
    """The limits on answering forms: per client address and per form."""

    def __init__(self, path: str, per_address: str, per_form: str) -> None:
        self._counters = SQLiteCounters(f"formserver+sqlite://{path}")
        self._limiter = FixedWindowRateLimiter(self._counters)
        self._per_address = limits.parse(per_address) if per_address else None
        self._per_form = limits.parse(per_form) if per_form else None
        self._next_prune = 0.0

    def hit(self, address: str, form_key: str) -> Verdict:
        """Count one answer from ``address`` to ``form_key``."""
        self._prune_now_and_then()
        checks = [
            (self._per_address, ("address", address)),
            (self._per_form, ("form", form_key)),
        ]
        refused = None
        with self._counters.counting():
            for item, identifiers in checks:
                # An address over its limit stops here, so that its answers
                # never use up the form's allowance for everyone else.
                if item is not None and not self._limiter.hit(item, *identifiers):
                    refused = item, identifiers
                    break
        if refused is None:
            return Verdict(True)

        item, identifiers = refused
        stats = self._limiter.get_window_stats(item, *identifiers)
        wait = max(1, int(stats.reset_time - time.time()) + 1)
        return Verdict(False, wait)

    def _prune_now_and_then(self) -> None:
        # A counter names a client address, which must not outlive its window
        # in the file. One DELETE a minute per process keeps the file as small
        # as the traffic of the last window and costs a hit nothing otherwise;
        # two threads that both see the deadline pass only prune twice.
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_INTERVAL_SECONDS
        self._counters.prune()
