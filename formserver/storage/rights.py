"""A prospect's data rights: everything held about them, and erasure."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from .. import events
from ..fieldtypes import normalised_email
from .database import Database, decode, now
from .outbox import enqueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Held:
    """The rows that hold one person: their lead, partials and lone submissions.

    Lone submissions belong to no lead: those held as suspected spam and a
    marketer's test runs. They are found through the partials they came from
    and through the email in their answers or held values.
    """

    lead: dict[str, Any] | None
    partials: list[dict[str, Any]]
    lone_submissions: list[dict[str, Any]]

    @property
    def lead_id(self) -> str:
        return self.lead["id"] if self.lead else ""


class Rights(Database):
    """Finding and erasing everything held about one person of one client."""

    def person(self, client: str, email: str) -> dict[str, Any]:
        """Everything held about the normalised ``email`` at ``client``."""
        held = self._held(self.db, client, email)
        lead_id = held.lead_id
        return {
            "client": client,
            "email": email,
            "lead": decode(held.lead) if held.lead else None,
            "submissions": self._rows("submissions", "lead_id", lead_id)
            + [decode(row) for row in held.lone_submissions],
            "profile_history": self._rows("profile_values", "lead_id", lead_id),
            "consents": self._rows("consents", "lead_id", lead_id),
            "outcomes": self._rows("outcomes", "lead_id", lead_id),
            "forms_in_progress": [decode(row) for row in held.partials],
            "events": self._rows("events", "lead_id", lead_id),
        }

    def _rows(self, table: str, column: str, value: str) -> list[dict[str, Any]]:
        if not value:
            return []
        rows = self.db.query(f"SELECT * FROM {table} WHERE {column} = ?", [value])
        return [decode(row) for row in rows]

    def forget(self, client: str, email: str) -> dict[str, Any]:
        """Erase the normalised ``email`` at ``client``; tell the endpoints.

        Returns what was erased. The ``lead.erased`` event names the lead by id
        only and goes to every endpoint the lead may have reached. Afterwards
        the write-ahead log is emptied, so that the erased rows survive in no
        file; ``log_emptied`` is False when a reader kept it from being emptied.
        """
        with self.transaction() as db:
            held = self._held(db, client, email)
            lead_id = held.lead_id
            reached = self._endpoints_reached(db, lead_id)
            counts = self._erase(db, held)
            if lead_id:
                payload = events.erased_payload(client, lead_id, now())
                enqueue(db, client, "lead.erased", lead_id, payload, endpoints=reached)
        return {
            "lead": lead_id or None,
            "notified": reached,
            "erased": counts,
            "log_emptied": self._empty_the_log(),
        }

    def _held(self, db: sqlite_utils.Database, client: str, email: str) -> Held:
        """Every row of ``client`` that holds ``email``.

        Known limit: each partial of the client is read and its JSON decoded,
        because only a parsed value can be compared whole; that suits an
        occasional request, not a table of millions.
        """
        lead = self._lead_row(db, client, email)
        lead_id = lead["id"] if lead else ""
        partials = [
            row
            for row in db.query("SELECT * FROM partials WHERE client = ?", [client])
            if (lead_id and row["lead_id"] == lead_id)
            or _holds(row, ("answers", "drafts"), email)
        ]
        partial_ids = {row["id"] for row in partials}
        lone = [
            row
            for row in db.query(
                "SELECT * FROM submissions WHERE client = ? AND lead_id IS NULL",
                [client],
            )
            if row["partial_id"] in partial_ids
            or _holds(row, ("answers", "held"), email)
        ]
        return Held(lead, partials, lone)

    def _lead_row(
        self, db: sqlite_utils.Database, client: str, email: str
    ) -> dict[str, Any] | None:
        rows = list(
            db.query(
                "SELECT * FROM leads WHERE client = ? AND email = ?", [client, email]
            )
        )
        return rows[0] if rows else None

    def _endpoints_reached(self, db: sqlite_utils.Database, lead_id: str) -> list[str]:
        # A delivery that timed out, or is in flight under a lease, may have
        # reached the CRM all the same: only one never tried surely did not.
        rows = db.execute(
            "SELECT DISTINCT d.endpoint FROM deliveries d JOIN events e"
            " ON e.id = d.event_id WHERE e.lead_id = ? AND (d.status = 'delivered'"
            " OR d.attempts > 0 OR d.leased_until IS NOT NULL)",
            [lead_id],
        ).fetchall()
        return sorted(row[0] for row in rows)

    def _erase(self, db: sqlite_utils.Database, held: Held) -> dict[str, int]:
        counts: dict[str, int] = {}
        for table, statement in _ERASE_BY_LEAD.items():
            counts[table] = db.execute(statement, [held.lead_id]).rowcount
        counts["submissions"] += _delete(db, "submissions", held.lone_submissions)
        counts["partials"] = _delete(db, "partials", held.partials)
        return counts

    def _empty_the_log(self) -> bool:
        """Copy the write-ahead log into the database and truncate it.

        Returns False when another connection's read kept it from completing.
        """
        with self._write_lock.held():
            busy = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            logger.warning(
                "The write-ahead log of %s was not emptied after an erasure because "
                "another connection is reading; it keeps the erased rows until the "
                "next checkpoint",
                self.path,
            )
        return not busy


#: What erasing a lead deletes, table by table; children before their parents.
_ERASE_BY_LEAD = {
    "delivery_attempts": "DELETE FROM delivery_attempts WHERE delivery_id IN"
    " (SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id"
    " WHERE e.lead_id = ?)",
    "deliveries": "DELETE FROM deliveries WHERE event_id IN"
    " (SELECT id FROM events WHERE lead_id = ?)",
    "events": "DELETE FROM events WHERE lead_id = ?",
    "submissions": "DELETE FROM submissions WHERE lead_id = ?",
    "profile_values": "DELETE FROM profile_values WHERE lead_id = ?",
    "consents": "DELETE FROM consents WHERE lead_id = ?",
    "outcomes": "DELETE FROM outcomes WHERE lead_id = ?",
    "leads": "DELETE FROM leads WHERE id = ?",
}


def _delete(db: sqlite_utils.Database, table: str, rows: list[dict[str, Any]]) -> int:
    deleted = 0
    for row in rows:
        deleted += db.execute(f"DELETE FROM {table} WHERE id = ?", [row["id"]]).rowcount
    return deleted


def _holds(row: dict[str, Any], columns: tuple[str, ...], email: str) -> bool:
    """Whether a JSON column of ``row`` has ``email`` as one whole string value."""
    return any(row[c] and _has_email(json.loads(row[c]), email) for c in columns)


def _has_email(value: Any, email: str) -> bool:
    # Drafts keep what was typed, spaces and capitals included, so each string
    # is normalised as a lead's email would be. A longer address that merely
    # contains ``email`` never matches, nor does an empty one.
    if isinstance(value, str):
        return normalised_email(value) == email
    if isinstance(value, dict):
        return any(_has_email(item, email) for item in value.values())
    if isinstance(value, list):
        return any(_has_email(item, email) for item in value)
    return False
