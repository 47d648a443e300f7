"""API tokens: the secrets by which a client calls the API.

A token is shown once when it is created and only its SHA-256 hash is kept, so
a copy of the database gives no working token.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from typing import Any

from .database import Database, new_id, now

TOKEN_PREFIX = "fs_"

# Marking a token as used costs a write; once a minute is precise enough.
_TOUCH_AFTER = datetime.timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ApiTokens(Database):
    """Creating, checking, listing and revoking the API tokens of clients."""

    def create_api_token(self, client: str, label: str = "") -> str:
        """A new API token for ``client``; the only time its text is known."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.transaction(durable=True) as db:
            db.execute(
                "INSERT INTO api_tokens (id, client, hash, label, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [new_id("tok"), client, _hash(token), label, now()],
            )
        return token

    def api_tokens(self, client: str | None = None) -> list[dict[str, Any]]:
        """The tokens (without their hashes), oldest first, optionally of a client."""
        sql = "SELECT id, client, label, created_at, last_used_at FROM api_tokens"
        params: list[Any] = []
        if client is not None:
            sql += " WHERE client = ?"
            params.append(client)
        return list(self.db.query(sql + " ORDER BY created_at, id", params))

    def client_of_token(self, token: str) -> str | None:
        """The client that ``token`` belongs to, or None if it is unknown."""
        digest = _hash(token)
        row = self.db.execute(
            "SELECT id, client, hash, last_used_at FROM api_tokens WHERE hash = ?",
            [digest],
        ).fetchone()
        # The lookup is by hash, so its timing tells nothing about the token;
        # the comparison guards against a database that matched loosely.
        if row is None or not hmac.compare_digest(row[2], digest):
            return None

        token_id, client, _, last_used_at = row
        stamp = now()
        stale = datetime.datetime.fromisoformat(stamp) - _TOUCH_AFTER
        if last_used_at is None or last_used_at < stale.isoformat(
            timespec="microseconds"
        ):
            with self.transaction() as db:
                db.execute(
                    "UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
                    [stamp, token_id],
                )
        return str(client)

    def revoke_api_token(self, token_id: str) -> bool:
        """Delete the token ``token_id``; whether there was one."""
        with self.transaction(durable=True) as db:
            cursor = db.execute("DELETE FROM api_tokens WHERE id = ?", [token_id])
        return cursor.rowcount > 0
