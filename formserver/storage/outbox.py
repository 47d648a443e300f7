"""The outbox: events written with the change they describe, and their delivery.

An event is inserted in the same transaction as the submission, outcome or
erasure it reports, so a crash can never leave one without the other. Workers
then fan each event out to the client's endpoints (one delivery per endpoint,
keeping the event id as the webhook id on every attempt) and claim due
deliveries with a lease, so that a worker killed mid-batch leaves nothing
behind: its deliveries come due again when the lease runs out.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from .. import events
from .database import Database, decode, new_id, now

LEASE_SECONDS = 60


def enqueue(
    db: sqlite_utils.Database,
    client: str,
    kind: str,
    lead_id: str,
    payload: dict[str, Any],
    endpoints: Iterable[str] | None = None,
) -> str:
    """Write an event inside the caller's transaction; return its id.

    With ``endpoints`` the event is fanned out to exactly those at once (an
    erasure goes only where the lead was delivered); otherwise a worker fans it
    out to the endpoints subscribed at that moment.
    """
    event_id = new_id("msg")
    stamp = now()
    db.execute(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
        [event_id, client, kind, lead_id, json.dumps(payload), stamp, 0],
    )
    if endpoints is not None:
        for endpoint in endpoints:
            _insert_delivery(db, event_id, client, endpoint, stamp)
        db.execute("UPDATE events SET fanned_out = 1 WHERE id = ?", [event_id])
    return event_id


def enqueue_lead_event(
    db: sqlite_utils.Database, kind: str, lead_id: str, submission_id: str
) -> str:
    """Write the event of a submission, as the lead and submission now stand."""
    lead = _row(db, "leads", lead_id)
    submission = _row(db, "submissions", submission_id)
    payload = events.lead_payload(kind, lead, submission)
    return enqueue(db, lead["client"], kind, lead_id, payload)


def _row(db: sqlite_utils.Database, table: str, row_id: str) -> dict[str, Any]:
    rows = list(db.query(f"SELECT * FROM {table} WHERE id = ?", [row_id]))
    return decode(rows[0])


def _insert_delivery(
    db: sqlite_utils.Database, event_id: str, client: str, endpoint: str, stamp: str
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO deliveries (event_id, client, endpoint, status,"
        " attempts, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)",
        [event_id, client, endpoint, stamp, stamp],
    )


def _later(seconds: float) -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    return moment.isoformat(timespec="microseconds")


class Outbox(Database):
    """Events waiting to leave, and the log of every delivery attempt."""

    def events_to_fan_out(self, limit: int = 100) -> list[dict[str, Any]]:
        """Events not yet given a delivery per subscribed endpoint."""
        rows = self.db.query(
            "SELECT id, client, type FROM events WHERE fanned_out = 0"
            " ORDER BY created_at LIMIT ?",
            [limit],
        )
        return list(rows)

    def fan_out(self, event_id: str, client: str, endpoints: Iterable[str]) -> None:
        """Create one pending delivery of ``event_id`` per endpoint."""
        with self.transaction() as db:
            stamp = now()
            for endpoint in endpoints:
                if not self._disabled(db, client, endpoint):
                    _insert_delivery(db, event_id, client, endpoint, stamp)
            db.execute("UPDATE events SET fanned_out = 1 WHERE id = ?", [event_id])

    def _disabled(self, db: sqlite_utils.Database, client: str, endpoint: str) -> bool:
        row = db.execute(
            "SELECT 1 FROM disabled_endpoints WHERE client = ? AND endpoint = ?",
            [client, endpoint],
        ).fetchone()
        return row is not None

    def claim_due(
        self, limit: int = 20, lease_seconds: float = LEASE_SECONDS
    ) -> list[dict[str, Any]]:
        """Take up to ``limit`` due deliveries with their payloads, under a lease."""
        stamp = now()
        with self.transaction() as db:
            rows = list(
                db.query(
                    "SELECT d.*, e.payload, e.type FROM deliveries d"
                    " JOIN events e ON e.id = d.event_id"
                    " WHERE d.status = 'pending' AND d.next_attempt_at <= ?"
                    " AND (d.leased_until IS NULL OR d.leased_until <= ?)"
                    " ORDER BY d.next_attempt_at LIMIT ?",
                    [stamp, stamp, limit],
                )
            )
            lease = _later(lease_seconds)
            for row in rows:
                db.execute(
                    "UPDATE deliveries SET leased_until = ? WHERE id = ?",
                    [lease, row["id"]],
                )
        return rows

    def record_attempt(
        self,
        delivery: dict[str, Any],
        status: int | None,
        error: str,
        duration_ms: float,
        outcome: str,
        retry_in: float | None = None,
    ) -> None:
        """Log one attempt and move the delivery on: delivered, retry, or stop.

        ``outcome`` is ``delivered``, ``retry``, ``failed`` (no attempts left)
        or ``disabled`` (the endpoint answered 410 Gone).
        """
        attempt = delivery["attempts"] + 1
        stamp = now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO delivery_attempts VALUES (?, ?, ?, ?, ?, ?)",
                [delivery["id"], attempt, stamp, status, error, duration_ms],
            )
            state = "pending" if outcome == "retry" else outcome
            db.execute(
                "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                " leased_until = NULL, last_status = ?, last_error = ?,"
                " delivered_at = ? WHERE id = ?",
                [
                    state,
                    attempt,
                    _later(retry_in or 0),
                    status,
                    error,
                    stamp if outcome == "delivered" else None,
                    delivery["id"],
                ],
            )
            if outcome == "disabled":
                self._disable(db, delivery["client"], delivery["endpoint"], stamp)

    def _disable(
        self, db: sqlite_utils.Database, client: str, endpoint: str, stamp: str
    ) -> None:
        db.execute(
            "INSERT OR REPLACE INTO disabled_endpoints VALUES (?, ?, ?, ?)",
            [client, endpoint, stamp, "the endpoint answered 410 Gone"],
        )
        db.execute(
            "UPDATE deliveries SET status = 'disabled', leased_until = NULL"
            " WHERE client = ? AND endpoint = ? AND status = 'pending'",
            [client, endpoint],
        )

    def deliveries(self, status: str | None = None) -> list[dict[str, Any]]:
        """Deliveries, newest first, optionally of one status."""
        sql = "SELECT d.*, e.type, e.lead_id FROM deliveries d JOIN events e"
        sql += " ON e.id = d.event_id"
        params: list[Any] = []
        if status is not None:
            sql += " WHERE d.status = ?"
            params.append(status)
        return list(self.db.query(sql + " ORDER BY d.created_at DESC, d.id", params))

    def attempts(self, delivery_id: int) -> list[dict[str, Any]]:
        """The log of every attempt of one delivery, oldest first."""
        rows = self.db.query(
            "SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt",
            [delivery_id],
        )
        return list(rows)

    def redeliver(self, delivery_ids: Iterable[int] | None = None) -> int:
        """Queue failed (or the given) deliveries again; return how many."""
        with self.transaction() as db:
            if delivery_ids is None:
                cursor = db.execute(
                    "UPDATE deliveries SET status = 'pending', next_attempt_at = ?,"
                    " leased_until = NULL WHERE status = 'failed'",
                    [now()],
                )
                return cursor.rowcount
            count = 0
            for delivery_id in delivery_ids:
                cursor = db.execute(
                    "UPDATE deliveries SET status = 'pending', next_attempt_at = ?,"
                    " leased_until = NULL WHERE id = ?",
                    [now(), delivery_id],
                )
                count += cursor.rowcount
            return count
