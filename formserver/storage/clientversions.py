"""Client file versions: every good ``client.json`` seen, kept by content.

A client file that breaks is met first by some processes (after a restart, or
in another worker) that never loaded a good version of it; they serve the one
kept here instead of taking all the client's forms down.
"""

from __future__ import annotations

import json
from typing import Any

from .database import Database, now


class ClientVersions(Database):
    """The good versions of each client file, the one last seen good first."""

    def remember_client(self, client: str, version: str, document: Any) -> None:
        """Keep a good version of a client file, marked as seen now.

        A version seen again is marked again, so that a client file put back
        to an earlier version ranks that version first.
        """
        stamp = now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO client_versions"
                " (client, version, document, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(client, version)"
                " DO UPDATE SET last_seen = excluded.last_seen",
                [client, version, json.dumps(document), stamp, stamp],
            )

    def client_history(self, client: str) -> list[str]:
        """The kept versions of a client file, the one last seen good first."""
        rows = self.db.execute(
            "SELECT version FROM client_versions WHERE client = ?"
            " ORDER BY last_seen DESC, rowid DESC",
            [client],
        ).fetchall()
        return [row[0] for row in rows]

    def client_document(self, client: str, version: str) -> Any | None:
        """The document of a kept client file version, or None."""
        row = self.db.execute(
            "SELECT document FROM client_versions WHERE client = ? AND version = ?",
            [client, version],
        ).fetchone()
        return json.loads(row[0]) if row else None
