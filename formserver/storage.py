"""Storage: leads, submissions, partial responses and spec versions in SQLite.

Everything that touches the database goes through :class:`Storage`, so that a
deployment that outgrows one host can move to PostgreSQL by replacing this
module. The database runs in WAL mode with a busy timeout; every write
transaction begins with ``BEGIN IMMEDIATE`` so that it takes the write lock
first and never fails half-way on a lock upgrade. ``synchronous=FULL`` makes
every acknowledged commit durable, even through a power cut.
"""

from __future__ import annotations

import datetime
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

BUSY_TIMEOUT_MS = 10_000


def now() -> str:
    """The current UTC time as stored: ISO 8601 with microseconds."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


def new_id(prefix: str) -> str:
    """A random, unguessable identifier such as ``sub_3kTq…``."""
    return f"{prefix}_{secrets.token_urlsafe(16)}"


@dataclass
class Partial:
    """A form in progress: the answers so far, by step, on one spec version."""

    id: str
    client: str
    form: str
    version: str
    answers: dict[str, dict[str, Any]]
    drafts: dict[str, dict[str, list[str]]]
    captured: dict[str, str]
    step: str
    status: str
    submission_id: str | None
    lead_id: str | None
    created_at: str
    updated_at: str
    recognised_by: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Partial:
        return cls(
            id=row["id"],
            client=row["client"],
            form=row["form"],
            version=row["version"],
            answers=json.loads(row["answers"]),
            drafts=json.loads(row["drafts"]),
            captured=json.loads(row["captured"]),
            step=row["step"],
            status=row["status"],
            submission_id=row["submission_id"],
            lead_id=row["lead_id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            recognised_by=row.get("recognised_by"),
        )


@dataclass(frozen=True)
class Completion:
    """What finishing a form stores: the submission, and the lead it belongs to."""

    client: str
    form: str
    version: str
    email: str | None
    answers: dict[str, Any]
    profile: dict[str, Any]
    tag: dict[str, Any]
    captured: dict[str, str]
    path: list[str]
    sources: dict[str, str]


def _create_v1(db: sqlite_utils.Database) -> None:
    db["spec_versions"].create(
        {
            "client": str,
            "form": str,
            "version": str,
            "document": str,
            "first_seen": str,
        },
        pk=("client", "form", "version"),
    )
    db["partials"].create(
        {
            "id": str,
            "client": str,
            "form": str,
            "version": str,
            "answers": str,
            "drafts": str,
            "captured": str,
            "step": str,
            "status": str,
            "submission_id": str,
            "lead_id": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"client", "form", "version", "status"},
    )
    db["leads"].create(
        {
            "id": str,
            "client": str,
            "email": str,
            "profile": str,
            "tag": str,
            "score": float,
            "tier": str,
            "segment": str,
            "route": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["leads"].create_index(["client", "email"], unique=True)
    db["submissions"].create(
        {
            "id": str,
            "client": str,
            "form": str,
            "version": str,
            "lead_id": str,
            "partial_id": str,
            "answers": str,
            "path": str,
            "tag": str,
            "score": float,
            "tier": str,
            "segment": str,
            "route": str,
            "captured": str,
            "started_at": str,
            "submitted_at": str,
        },
        pk="id",
    )
    db["submissions"].create_index(["partial_id"], unique=True)
    db["submissions"].create_index(["client", "submitted_at"])
    db["profile_values"].create(
        {
            "lead_id": str,
            "key": str,
            "value": str,
            "form": str,
            "step": str,
            "submission_id": str,
            "learned_at": str,
            "current": int,
        },
    )
    db["profile_values"].create_index(["lead_id", "key"])


def _recognition_v2(db: sqlite_utils.Database) -> None:
    db["partials"].add_column("recognised_by", str)


#: Each entry migrates the schema one version up; the index is the version it
#: reaches minus one. Append only: never edit a migration that has shipped.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _create_v1,
    _recognition_v2,
]


class Storage:
    """The formserver database at ``path`` (created and migrated on open)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
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
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction that holds the write lock from its first statement."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _migrate(self, db: sqlite_utils.Database) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")

    # Spec versions

    def remember_spec(
        self, client: str, form: str, version: str, document: Any
    ) -> None:
        """Keep a spec version so that prospects who started on it can finish."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO spec_versions VALUES (?, ?, ?, ?, ?)",
                [client, form, version, json.dumps(document), now()],
            )

    def spec_document(self, client: str, form: str, version: str) -> Any | None:
        """The document of a remembered spec version, or None."""
        row = self.db.execute(
            "SELECT document FROM spec_versions"
            " WHERE client = ? AND form = ? AND version = ?",
            [client, form, version],
        ).fetchone()
        return json.loads(row[0]) if row else None

    # Partial responses

    def start_partial(
        self,
        client: str,
        form: str,
        version: str,
        captured: dict[str, str],
        lead_id: str | None = None,
        recognised_by: str | None = None,
    ) -> Partial:
        """Create an empty partial response on ``version`` of a form.

        ``lead_id`` names the lead the prospect was recognised as, and
        ``recognised_by`` how: ``link``, ``embed``, ``cookie`` or ``email``.
        """
        stamp = now()
        row = {
            "id": new_id("prt"),
            "client": client,
            "form": form,
            "version": version,
            "answers": "{}",
            "drafts": "{}",
            "captured": json.dumps(captured),
            "step": "",
            "status": "open",
            "submission_id": None,
            "lead_id": lead_id,
            "created_at": stamp,
            "updated_at": stamp,
            "recognised_by": recognised_by,
        }
        with self.transaction() as db:
            db.execute(
                f"INSERT INTO partials ({', '.join(row)}) "
                f"VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
        return Partial.from_row(row)

    def partial(self, partial_id: str) -> Partial | None:
        """The partial response ``partial_id``, or None."""
        rows = list(self.db.query("SELECT * FROM partials WHERE id = ?", [partial_id]))
        return Partial.from_row(rows[0]) if rows else None

    def save_partial(self, partial: Partial) -> None:
        """Store the answers, drafts and step reached of an open partial."""
        with self.transaction() as db:
            db.execute(
                "UPDATE partials SET answers = ?, drafts = ?, step = ?, lead_id = ?,"
                " recognised_by = ?, updated_at = ? WHERE id = ? AND status = 'open'",
                [
                    json.dumps(partial.answers),
                    json.dumps(partial.drafts),
                    partial.step,
                    partial.lead_id,
                    partial.recognised_by,
                    now(),
                    partial.id,
                ],
            )

    # Completion

    def complete(self, partial: Partial, completion: Completion) -> None:
        """Store the submission and update the lead, once.

        ``partial`` comes back marked complete with its submission and lead. A
        second call for the same partial (a double click, a resend) stores
        nothing and gives the first submission.
        """
        with self.transaction() as db:
            row = db.execute(
                "SELECT status, submission_id, lead_id FROM partials WHERE id = ?",
                [partial.id],
            ).fetchone()
            if row is not None and row[0] == "complete":
                partial.status, partial.submission_id, partial.lead_id = row
                return

            lead_id = self._upsert_lead(db, completion, _trusted_lead(partial))
            submission_id = new_id("sub")
            self._insert_submission(db, submission_id, lead_id, partial, completion)
            self._record_profile(db, lead_id, submission_id, completion)
            db.execute(
                "UPDATE partials SET status = 'complete', submission_id = ?,"
                " lead_id = ?, answers = ?, drafts = '{}', updated_at = ?"
                " WHERE id = ?",
                [
                    submission_id,
                    lead_id,
                    json.dumps(partial.answers),
                    now(),
                    partial.id,
                ],
            )
        partial.status = "complete"
        partial.submission_id = submission_id
        partial.lead_id = lead_id

    def _upsert_lead(
        self, db: sqlite_utils.Database, completion: Completion, lead_id: str | None
    ) -> str:
        tag = completion.tag
        route = tag["route"]["track"] if tag.get("route") else None
        stamp = now()
        existing = None
        if lead_id:
            existing = db.execute(
                "SELECT id, profile FROM leads WHERE id = ? AND client = ?",
                [lead_id, completion.client],
            ).fetchone()
        if existing is None and completion.email:
            existing = db.execute(
                "SELECT id, profile FROM leads WHERE client = ? AND email = ?",
                [completion.client, completion.email],
            ).fetchone()
        if existing:
            profile = json.loads(existing[1])
            profile.update(completion.profile)
            db.execute(
                "UPDATE leads SET profile = ?, tag = ?, score = ?, tier = ?,"
                " segment = ?, route = ?, updated_at = ? WHERE id = ?",
                [
                    json.dumps(profile),
                    json.dumps(tag),
                    tag["score"],
                    tag["tier"],
                    tag["segment"],
                    route,
                    stamp,
                    existing[0],
                ],
            )
            return str(existing[0])

        lead_id = new_id("lead")
        db.execute(
            "INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                lead_id,
                completion.client,
                completion.email,
                json.dumps(completion.profile),
                json.dumps(tag),
                tag["score"],
                tag["tier"],
                tag["segment"],
                route,
                stamp,
                stamp,
            ],
        )
        return lead_id

    def _insert_submission(
        self,
        db: sqlite_utils.Database,
        submission_id: str,
        lead_id: str,
        partial: Partial,
        completion: Completion,
    ) -> None:
        tag = completion.tag
        db.execute(
            "INSERT INTO submissions VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                submission_id,
                completion.client,
                completion.form,
                completion.version,
                lead_id,
                partial.id,
                json.dumps(completion.answers),
                json.dumps(completion.path),
                json.dumps(tag),
                tag["score"],
                tag["tier"],
                tag["segment"],
                tag["route"]["track"] if tag.get("route") else None,
                json.dumps(completion.captured),
                partial.created_at,
                now(),
            ],
        )

    def _record_profile(
        self,
        db: sqlite_utils.Database,
        lead_id: str,
        submission_id: str,
        completion: Completion,
    ) -> None:
        stamp = now()
        for key, value in completion.profile.items():
            db.execute(
                "UPDATE profile_values SET current = 0 WHERE lead_id = ? AND key = ?",
                [lead_id, key],
            )
            db.execute(
                "INSERT INTO profile_values VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                [
                    lead_id,
                    key,
                    json.dumps(value),
                    completion.form,
                    completion.sources.get(key, ""),
                    submission_id,
                    stamp,
                ],
            )

    # Reading

    def submission(self, submission_id: str) -> dict[str, Any] | None:
        """One submission with its JSON columns decoded, or None."""
        rows = list(
            self.db.query("SELECT * FROM submissions WHERE id = ?", [submission_id])
        )
        return _decode(rows[0]) if rows else None

    def lead(self, lead_id: str) -> dict[str, Any] | None:
        """One lead with its profile and latest tag decoded, or None."""
        rows = list(self.db.query("SELECT * FROM leads WHERE id = ?", [lead_id]))
        return _decode(rows[0]) if rows else None

    def leads(self, client: str) -> Iterator[dict[str, Any]]:
        """Every lead of ``client``, oldest first, with JSON columns decoded."""
        rows = self.db.query(
            "SELECT * FROM leads WHERE client = ? ORDER BY created_at, id", [client]
        )
        for row in rows:
            yield _decode(row)

    def submissions(self, client: str | None = None) -> list[dict[str, Any]]:
        """Submissions, oldest first, optionally of one client."""
        sql = "SELECT * FROM submissions"
        params: list[Any] = []
        if client is not None:
            sql += " WHERE client = ?"
            params.append(client)
        rows = self.db.query(sql + " ORDER BY submitted_at, id", params)
        return [_decode(row) for row in rows]

    def lead_by_email(self, client: str, email: str) -> dict[str, Any] | None:
        """The lead of ``client`` with the normalised ``email``, or None."""
        rows = list(
            self.db.query(
                "SELECT * FROM leads WHERE client = ? AND email = ?", [client, email]
            )
        )
        return _decode(rows[0]) if rows else None

    def known_profile(self, lead_id: str) -> dict[str, tuple[Any, str]]:
        """The current value of each profile key of a lead, with when it was learned."""
        rows = self.db.execute(
            "SELECT key, value, learned_at FROM profile_values"
            " WHERE lead_id = ? AND current = 1",
            [lead_id],
        ).fetchall()
        return {key: (json.loads(value), learned_at) for key, value, learned_at in rows}

    def lead_submissions(self, lead_id: str) -> list[dict[str, Any]]:
        """Every submission of a lead, oldest first: the history of its tags."""
        rows = self.db.query(
            "SELECT * FROM submissions WHERE lead_id = ? ORDER BY submitted_at, id",
            [lead_id],
        )
        return [_decode(row) for row in rows]

    def profile_history(self, lead_id: str) -> list[dict[str, Any]]:
        """Every value ever learned about a lead, oldest first."""
        rows = self.db.query(
            "SELECT * FROM profile_values WHERE lead_id = ? ORDER BY learned_at, rowid",
            [lead_id],
        )
        return [_decode(row) for row in rows]


def _trusted_lead(partial: Partial) -> str | None:
    """The lead a signed token named; a typed email alone is matched by email."""
    if partial.recognised_by in ("link", "embed", "cookie"):
        return partial.lead_id
    return None


_JSON_COLUMNS = ("answers", "tag", "captured", "profile", "path", "drafts", "value")


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: json.loads(value) if key in _JSON_COLUMNS and value is not None else value
        for key, value in row.items()
    }
