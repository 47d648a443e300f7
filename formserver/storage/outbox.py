"""The outbox: events written with the change they describe, and their delivery.

An event is inserted in the same transaction as the submission, outcome or
erasure it reports, so a crash can never leave one without the other. Workers
then fan each event out to the client's endpoints (one delivery per endpoint,
keeping the event id as the webhook id on every attempt) and lease each due
delivery just before its attempt, so that a worker killed mid-attempt leaves
nothing behind: its delivery comes due again when the lease runs out. Only the
holder of the current lease may record the attempt, so a late answer never
overrules the worker that took the delivery over.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from .. import events
from .database import Database, decode, new_id, now

#: Seconds a worker holds the one delivery it is attempting. An attempt may
#: wait TIMEOUT_SECONDS (10) to connect, to send and to read the answer, so
#: this leaves room for the slowest answer that still counts. Known limit: an
#: attempt that outlasts its lease (a resolver that hangs, a receiver that
#: trickles its answer) can be sent again by another worker, because the
#: lookup has no timeout of its own; the late answer is then not recorded, and
#: the receiver sees the same webhook-id twice, which it is there to drop.
LEASE_SECONDS = 60


@dataclass(frozen=True)
class Replay:
    """What :meth:`Outbox.redeliver` queued, and what it would not queue.

    ``unknown`` ids name no delivery, ``delivered`` ones were delivered
    already, and ``disabled`` holds the rows (id, endpoint, ``disabled_at``)
    whose endpoint answered 410 Gone.
    """

    queued: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)
    disabled: list[dict[str, Any]] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """Whether any delivery asked for was left where it was."""
        return bool(self.unknown or self.delivered or self.disabled)


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


def _sort_replay(
    rows: dict[int, dict[str, Any]], wanted: list[int], again: bool, reenable: bool
) -> Replay:
    replay = Replay()
    for delivery_id in wanted:
        row = rows.get(delivery_id)
        if row is None:
            replay.unknown.append(delivery_id)
        elif row["status"] == "delivered" and not again:
            replay.delivered.append(delivery_id)
        elif row["disabled_at"] and not reenable:
            replay.disabled.append(row)
        else:
            replay.queued.append(delivery_id)
    return replay


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

    def claim_next(
        self, due_by: str | None = None, lease_seconds: float = LEASE_SECONDS
    ) -> dict[str, Any] | None:
        """Lease the delivery most overdue at ``due_by`` (default now), or None.

        The row comes with its event's payload and type; its ``leased_until``
        is the lease that :meth:`record_attempt` checks. A delivery is leased
        only after its previous lease ran out, so each new lease ends later
        than the last and no two workers ever hold the same one.
        """
        with self.transaction() as db:
            stamp = now()
            rows = list(
                db.query(
                    "SELECT d.*, e.payload, e.type FROM deliveries d"
                    " JOIN events e ON e.id = d.event_id"
                    " WHERE d.status = 'pending' AND d.next_attempt_at <= ?"
                    " AND (d.leased_until IS NULL OR d.leased_until <= ?)"
                    " ORDER BY d.next_attempt_at LIMIT 1",
                    [due_by or stamp, stamp],
                )
            )
            if not rows:
                return None
            delivery = dict(rows[0], leased_until=_later(lease_seconds))
            db.execute(
                "UPDATE deliveries SET leased_until = ? WHERE id = ?",
                [delivery["leased_until"], delivery["id"]],
            )
        return delivery

    def record_attempt(
        self,
        delivery: dict[str, Any],
        status: int | None,
        error: str,
        duration_ms: float,
        outcome: str,
        retry_in: float | None = None,
    ) -> bool:
        """Log one attempt and move the delivery on: delivered, retry, or stop.

        ``outcome`` is ``delivered``, ``retry``, ``failed`` (no attempts left)
        or ``disabled`` (the endpoint answered 410 Gone). Returns False and
        changes nothing when the delivery no longer carries the lease in
        ``delivery``: another worker took it over, or it was settled or erased
        meanwhile, and that record stands.
        """
        attempt = delivery["attempts"] + 1
        stamp = now()
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,"
                " leased_until = NULL, last_status = ?, last_error = ?,"
                " delivered_at = ?"
                " WHERE id = ? AND status = 'pending' AND leased_until = ?",
                [
                    "pending" if outcome == "retry" else outcome,
                    attempt,
                    _later(retry_in or 0),
                    status,
                    error,
                    stamp if outcome == "delivered" else None,
                    delivery["id"],
                    delivery["leased_until"],
                ],
            )
            if cursor.rowcount == 0:
                return False
            db.execute(
                "INSERT INTO delivery_attempts VALUES (?, ?, ?, ?, ?, ?)",
                [delivery["id"], attempt, stamp, status, error, duration_ms],
            )
            if outcome == "disabled":
                self._disable(db, delivery["client"], delivery["endpoint"], stamp)
        return True

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

    def redeliver(
        self,
        delivery_ids: Iterable[int] | None = None,
        again: bool = False,
        reenable: bool = False,
    ) -> Replay:
        """Queue the given deliveries (or every failed one) to go now.

        A delivery already delivered is queued only ``again``; one whose
        endpoint answered 410 Gone only with ``reenable``, which lifts that
        endpoint's disabled mark. Given ids are queued all or, when any of
        them is unknown or refused, none; of every failed delivery, those
        refused stay as they are. A pending delivery keeps its lease, so an
        attempt in flight still records its answer.
        """
        ids = None if delivery_ids is None else list(dict.fromkeys(delivery_ids))
        with self.transaction() as db:
            rows = self._replay_rows(db, ids)
            replay = _sort_replay(
                rows, list(rows) if ids is None else ids, again, reenable
            )
            if ids is not None and replay.refused:
                return Replay([], replay.unknown, replay.delivered, replay.disabled)
            for delivery_id in replay.queued:
                self._requeue(db, rows[delivery_id], reenable)
        return replay

    def _replay_rows(
        self, db: sqlite_utils.Database, ids: list[int] | None
    ) -> dict[int, dict[str, Any]]:
        sql = (
            "SELECT d.id, d.client, d.endpoint, d.status, x.disabled_at"
            " FROM deliveries d LEFT JOIN disabled_endpoints x"
            " ON x.client = d.client AND x.endpoint = d.endpoint"
        )
        if ids is None:
            rows = db.query(sql + " WHERE d.status = 'failed' ORDER BY d.id")
        else:
            marks = ", ".join("?" * len(ids))
            rows = db.query(sql + f" WHERE d.id IN ({marks})", ids)
        return {row["id"]: row for row in rows}

    def _requeue(
        self, db: sqlite_utils.Database, row: dict[str, Any], reenable: bool
    ) -> None:
        if reenable:
            db.execute(
                "DELETE FROM disabled_endpoints WHERE client = ? AND endpoint = ?",
                [row["client"], row["endpoint"]],
            )
        db.execute(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = ?"
            " WHERE id = ?",
            [now(), row["id"]],
        )
