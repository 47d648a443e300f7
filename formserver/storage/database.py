"""The SQLite connection, write transactions and schema migrations."""

from __future__ import annotations

import datetime
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from ..writelock import WriteLock
from .schema import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000


def now() -> str:
    """The current UTC time as stored: ISO 8601 with microseconds."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


def new_id(prefix: str) -> str:
    """A random, unguessable identifier such as ``sub_3kTq…``."""
    return f"{prefix}_{secrets.token_urlsafe(16)}"


class Database:
    """A connection per thread to the SQLite file at ``path``, migrated on open."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._write_lock = WriteLock(self.path)
        self._remembered: set[tuple[str, str, str]] = set()
        with self.transaction() as db:
            self._migrate(db)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection, opened on first use."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite_utils.Database(self._connect())
            self._local.db = db
        return db

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # Erasure must leave no trace in free space, and the compiled-in
        # default differs between SQLite builds.
        conn.execute("PRAGMA secure_delete = ON")
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    @contextmanager
    def transaction(self, durable: bool = False) -> Iterator[sqlite_utils.Database]:
        """A write transaction that holds the write lock from its first statement.

        A ``durable`` one is flushed to disk before it returns, so that what it
        acknowledges (a submission, an outcome) survives a power cut; the others
        survive a crash of the process, and a power cut may undo the latest.
        """
        db = self.db
        if durable:
            db.execute("PRAGMA synchronous = FULL")
        try:
            with self._write_lock.held():
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        finally:
            if durable:
                db.execute("PRAGMA synchronous = NORMAL")

    def _migrate(self, db: sqlite_utils.Database) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")


_JSON_COLUMNS = (
    "answers",
    "tag",
    "captured",
    "profile",
    "path",
    "drafts",
    "value",
    "spam_reasons",
    "held",
    "flags",
)


def decode(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: json.loads(value) if key in _JSON_COLUMNS and value is not None else value
        for key, value in row.items()
    }
