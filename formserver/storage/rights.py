"""A prospect's data rights: everything held about them, and erasure."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from .. import events
from .database import Database, decode, now
from .outbox import enqueue


class Rights(Database):
    """Finding and erasing everything held about one person of one client."""

    def person(self, client: str, email: str) -> dict[str, Any]:
        """Everything held about ``email`` at ``client``, for an access request."""
        lead = self._lead_row(self.db, client, email)
        lead_id = lead["id"] if lead else ""
        return {
            "client": client,
            "email": email,
            "lead": lead,
            "submissions": self._rows("submissions", "lead_id", lead_id),
            "profile_history": self._rows("profile_values", "lead_id", lead_id),
            "consents": self._rows("consents", "lead_id", lead_id),
            "outcomes": self._rows("outcomes", "lead_id", lead_id),
            "forms_in_progress": [
                decode(row) for row in self._partials(self.db, client, email, lead_id)
            ],
            "events": self._rows("events", "lead_id", lead_id),
        }

    def _rows(self, table: str, column: str, value: str) -> list[dict[str, Any]]:
        if not value:
            return []
        rows = self.db.query(f"SELECT * FROM {table} WHERE {column} = ?", [value])
        return [decode(row) for row in rows]

    def forget(self, client: str, email: str) -> dict[str, Any]:
        """Erase ``email`` at ``client`` everywhere; tell the endpoints it reached.

        Returns what was erased. The ``lead.erased`` event names the lead by id
        only and goes to every endpoint that had received the lead.
        """
        with self.transaction() as db:
            lead = self._lead_row(db, client, email)
            lead_id = lead["id"] if lead else ""
            partials = [row["id"] for row in self._partials(db, client, email, lead_id)]
            reached = self._endpoints_reached(db, lead_id)
            counts = self._erase(db, lead_id, partials)
            if lead_id:
                payload = events.erased_payload(client, lead_id, now())
                enqueue(db, client, "lead.erased", lead_id, payload, endpoints=reached)
        return {"lead": lead_id or None, "notified": reached, "erased": counts}

    def _lead_row(
        self, db: sqlite_utils.Database, client: str, email: str
    ) -> dict[str, Any] | None:
        rows = list(
            db.query(
                "SELECT * FROM leads WHERE client = ? AND email = ?", [client, email]
            )
        )
        return decode(rows[0]) if rows else None

    def _partials(
        self, db: sqlite_utils.Database, client: str, email: str, lead_id: str
    ) -> list[dict[str, Any]]:
        # The email appears JSON-encoded inside answers and drafts.
        needle = json.dumps(email)[1:-1]
        return list(
            db.query(
                "SELECT * FROM partials WHERE client = ? AND (lead_id = ?"
                " OR instr(answers, ?) > 0 OR instr(drafts, ?) > 0)",
                [client, lead_id, needle, needle],
            )
        )

    def _endpoints_reached(self, db: sqlite_utils.Database, lead_id: str) -> list[str]:
        rows = db.execute(
            "SELECT DISTINCT d.endpoint FROM deliveries d JOIN events e"
            " ON e.id = d.event_id WHERE e.lead_id = ? AND d.status = 'delivered'",
            [lead_id],
        ).fetchall()
        return sorted(row[0] for row in rows)

    def _erase(
        self, db: sqlite_utils.Database, lead_id: str, partials: list[str]
    ) -> dict[str, int]:
        counts: dict[str, int] = {}
        statements = {
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
        for table, statement in statements.items():
            counts[table] = db.execute(statement, [lead_id]).rowcount
        counts["partials"] = 0
        for partial_id in partials:
            counts["partials"] += db.execute(
                "DELETE FROM partials WHERE id = ?", [partial_id]
            ).rowcount
        return counts
