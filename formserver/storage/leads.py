"""Reading leads, their submissions and their profile history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .database import Database, decode


class Leads(Database):
    """Queries over leads and what is known about them."""

    def submission(self, submission_id: str) -> dict[str, Any] | None:
        """One submission with its JSON columns decoded, or None."""
        rows = list(
            self.db.query("SELECT * FROM submissions WHERE id = ?", [submission_id])
        )
        return decode(rows[0]) if rows else None

    def lead(self, lead_id: str) -> dict[str, Any] | None:
        """One lead with its profile and latest tag decoded, or None."""
        rows = list(self.db.query("SELECT * FROM leads WHERE id = ?", [lead_id]))
        return decode(rows[0]) if rows else None

    def leads(self, client: str) -> Iterator[dict[str, Any]]:
        """Every lead of ``client``, oldest first, with JSON columns decoded."""
        rows = self.db.query(
            "SELECT * FROM leads WHERE client = ? ORDER BY created_at, id", [client]
        )
        for row in rows:
            yield decode(row)

    def submissions(self, client: str | None = None) -> list[dict[str, Any]]:
        """Submissions, oldest first, optionally of one client."""
        sql = "SELECT * FROM submissions"
        params: list[Any] = []
        if client is not None:
            sql += " WHERE client = ?"
            params.append(client)
        rows = self.db.query(sql + " ORDER BY submitted_at, id", params)
        return [decode(row) for row in rows]

    def lead_by_email(self, client: str, email: str) -> dict[str, Any] | None:
        """The lead of ``client`` with the normalised ``email``, or None."""
        rows = list(
            self.db.query(
                "SELECT * FROM leads WHERE client = ? AND email = ?", [client, email]
            )
        )
        return decode(rows[0]) if rows else None

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
        return [decode(row) for row in rows]

    def profile_history(self, lead_id: str) -> list[dict[str, Any]]:
        """Every value ever learned about a lead, oldest first."""
        rows = self.db.query(
            "SELECT * FROM profile_values WHERE lead_id = ? ORDER BY learned_at, rowid",
            [lead_id],
        )
        return [decode(row) for row in rows]

    def flagged(self, client: str | None = None) -> list[dict[str, Any]]:
        """Submissions held as suspected spam, newest first."""
        sql = "SELECT * FROM submissions WHERE spam = 1"
        params: list[Any] = []
        if client is not None:
            sql += " AND client = ?"
            params.append(client)
        rows = self.db.query(sql + " ORDER BY submitted_at DESC", params)
        return [decode(row) for row in rows]
