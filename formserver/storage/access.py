"""API access: what a client may read about its leads, and the outcomes it reports.

Leads are listed oldest first and paged by an opaque cursor on
``(created_at, id)``: a lead that arrives while a client walks the pages appears
on the last page, never in a gap.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
from dataclasses import dataclass, fields
from typing import Any

import sqlite_utils

from .. import events
from .database import Database, decode, new_id, now
from .outbox import enqueue

OUTCOME_STATUSES = ("converted", "disqualified", "open")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_REASON_LENGTH = 1000

# RFC 3339: a full-date, or a date-time with seconds and an offset.
_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d))?"
)


class InvalidFilter(ValueError):
    """A listing filter, cursor or limit that cannot be used, by parameter."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class InvalidOutcome(ValueError):
    """An outcome that cannot be recorded as given, by field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class LeadFilters:
    """What a listing of leads is narrowed to; every filter is optional.

    Moments are ISO 8601 dates (a whole day, UTC) or RFC 3339 date-times;
    ``since`` and ``until`` both include the moment they name. The submission
    filters (``source``, ``submitted_*``) match a lead when one of its
    submissions matches them all. Test submissions count only with
    ``include_tests``, so a lead that only ever sent tests is left out.
    """

    tier: str | None = None
    segment: str | None = None
    route: str | None = None
    source: str | None = None
    created_since: str | None = None
    created_until: str | None = None
    submitted_since: str | None = None
    submitted_until: str | None = None
    include_tests: bool = False


#: The names of the filters, as the API and the command line spell them.
FILTER_NAMES = tuple(f.name for f in fields(LeadFilters))


def shown(value: Any) -> str:
    """``value`` as JSON for an error message, cut short when it is long."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:56] + '..."'


def _bound(parameter: str, text: str, *, upper: bool) -> str:
    """The stored timestamp that starts (or, ``upper``, ends after) ``text``."""
    wrong = InvalidFilter(
        parameter,
        f"{parameter} must be a date such as 2025-01-31 or a date-time such as "
        f"2025-01-31T09:30:00Z, not {shown(text)}.",
    )
    if not _MOMENT.fullmatch(text):
        raise wrong
    try:
        moment = datetime.datetime.fromisoformat(text.upper())
    except ValueError:
        raise wrong from None

    whole_day = len(text) == 10
    if whole_day:
        moment = moment.replace(tzinfo=datetime.UTC)
    # Stored times have microseconds, so "until" includes its moment by
    # ending one microsecond (or, for a date, one day) after it.
    step = (
        datetime.timedelta(days=1) if whole_day else datetime.timedelta(microseconds=1)
    )
    try:
        moment = moment.astimezone(datetime.UTC)
        if upper:
            moment += step
    except OverflowError:
        # Only moments on the first day of year 1 or the last of year 9999
        # get here: they bound nothing, and neither does the extreme moment.
        edge = datetime.datetime.max if moment.year > 1 else datetime.datetime.min
        moment = edge.replace(tzinfo=datetime.UTC)
    return moment.isoformat(timespec="microseconds")


def encode_cursor(row: dict[str, Any]) -> str:
    """The opaque cursor that continues a listing after ``row``."""
    raw = json.dumps([row["created_at"], row["id"]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The ``(created_at, id)`` a cursor continues after."""
    wrong = InvalidFilter(
        "cursor",
        f"cursor {shown(cursor)} is not one this API gave out; pass the "
        "next_cursor of the previous page unchanged, or leave cursor out to "
        "start from the first page.",
    )
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
        created_at, lead_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, RecursionError):
        raise wrong from None
    if not (isinstance(created_at, str) and isinstance(lead_id, str)):
        raise wrong
    return created_at, lead_id


def _where(client: str, filters: LeadFilters) -> tuple[str, list[Any]]:
    clauses = ["l.client = ?"]
    params: list[Any] = [client]
    for column in ("tier", "segment", "route"):
        value = getattr(filters, column)
        if value is not None:
            clauses.append(f"l.{column} = ?")
            params.append(value)
    _add_moments(clauses, params, filters, "created", "l.created_at")

    submission: list[str] = []
    submission_params: list[Any] = []
    if not filters.include_tests:
        submission.append("s.is_test = 0")
    if filters.source is not None:
        submission.append("json_extract(s.captured, '$.utm_source') = ?")
        submission_params.append(filters.source)
    _add_moments(submission, submission_params, filters, "submitted", "s.submitted_at")
    if submission:
        clauses.append(
            "EXISTS (SELECT 1 FROM submissions s WHERE s.lead_id = l.id AND "
            + " AND ".join(submission)
            + ")"
        )
        params += submission_params
    return " AND ".join(clauses), params


def _add_moments(
    clauses: list[str],
    params: list[Any],
    filters: LeadFilters,
    prefix: str,
    column: str,
) -> None:
    since = getattr(filters, f"{prefix}_since")
    until = getattr(filters, f"{prefix}_until")
    if since is not None:
        clauses.append(f"{column} >= ?")
        params.append(_bound(f"{prefix}_since", since, upper=False))
    if until is not None:
        clauses.append(f"{column} < ?")
        params.append(_bound(f"{prefix}_until", until, upper=True))


def _check_outcome(status: Any, reason: Any) -> str | None:
    """The reason to store, once ``status`` and ``reason`` are known to fit."""
    if status not in OUTCOME_STATUSES:
        raise InvalidOutcome(
            "status",
            f"status must be one of {', '.join(OUTCOME_STATUSES)}, "
            f"not {shown(status)}.",
        )
    if reason is not None and not isinstance(reason, str):
        raise InvalidOutcome(
            "reason", f"reason must be text or null, not {shown(reason)}."
        )

    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise InvalidOutcome(
            "reason", f"reason must be at most {MAX_REASON_LENGTH} characters."
        )
    text: str = (reason or "").strip()
    if status == "disqualified" and not text:
        raise InvalidOutcome(
            "reason",
            "reason is required when status is disqualified: say why, for "
            "example 'budget below minimum ticket'.",
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidOutcome(
            "reason", "reason contains characters that are not valid Unicode."
        ) from None
    return text or None


class Access(Database):
    """Lead listings for a client, and the outcomes sales report."""

    def list_leads(
        self,
        client: str,
        filters: LeadFilters | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the leads of ``client``, and the cursor of the next page.

        Raises :class:`InvalidFilter` naming the filter, cursor or limit that
        cannot be used.
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidFilter(
                "limit", f"limit must be between 1 and {MAX_PAGE_SIZE}, not {limit}."
            )
        where, params = _where(client, filters or LeadFilters())
        if cursor is not None:
            where += " AND (l.created_at, l.id) > (?, ?)"
            params += decode_cursor(cursor)

        rows = [
            decode(row)
            for row in self.db.query(
                f"SELECT l.* FROM leads l WHERE {where}"
                " ORDER BY l.created_at, l.id LIMIT ?",
                [*params, limit + 1],
            )
        ]
        more = len(rows) > limit
        page = rows[:limit]
        return page, encode_cursor(page[-1]) if more else None

    def matching_leads(
        self, client: str, filters: LeadFilters | None = None
    ) -> list[dict[str, Any]]:
        """Every lead of ``client`` that ``filters`` select, oldest first."""
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            page, cursor = self.list_leads(client, filters, cursor, MAX_PAGE_SIZE)
            found += page
            if cursor is None:
                return found

    def lead_detail(self, client: str, lead_id: str) -> dict[str, Any] | None:
        """A lead of ``client`` with its submissions, profile history and outcomes.

        Submissions carry the answers of the path the prospect took only, and
        ``is_test`` as a boolean. None when ``client`` has no such lead.
        """
        lead = self._client_lead(self.db, client, lead_id)
        if lead is None:
            return None

        submissions = self.db.query(
            "SELECT id, form, version, tag, captured, answers, is_test, submitted_at"
            " FROM submissions WHERE lead_id = ? ORDER BY submitted_at, id",
            [lead_id],
        )
        lead["submissions"] = [
            dict(decode(row), is_test=bool(row["is_test"])) for row in submissions
        ]
        history = self.db.query(
            "SELECT key, value, form, step, submission_id, learned_at, current"
            " FROM profile_values WHERE lead_id = ? ORDER BY learned_at, rowid",
            [lead_id],
        )
        lead["profile_history"] = [
            dict(decode(row), current=bool(row["current"])) for row in history
        ]
        lead["outcomes"] = list(
            self.db.query(
                "SELECT id, status, reason, recorded_at FROM outcomes"
                " WHERE lead_id = ? ORDER BY recorded_at, id",
                [lead_id],
            )
        )
        return lead

    def record_outcome(
        self, client: str, lead_id: str, status: Any, reason: Any = None
    ) -> dict[str, Any] | None:
        """Record what sales reports for a lead of ``client``; the outcome row.

        ``status`` is converted, disqualified (which needs a ``reason``) or
        open. The lead's outcome changes and an ``outcome.recorded`` event is
        written in the same transaction, unless the lead only ever sent test
        submissions: a CRM never heard of such a lead. None when ``client`` has
        no such lead. Raises :class:`InvalidOutcome` naming the field at fault.
        """
        reason = _check_outcome(status, reason)
        outcome = {
            "id": new_id("out"),
            "lead_id": lead_id,
            "status": status,
            "reason": reason,
            "recorded_at": now(),
        }
        with self.transaction(durable=True) as db:
            lead = self._client_lead(db, client, lead_id)
            if lead is None:
                return None
            db.execute(
                "INSERT INTO outcomes (id, lead_id, client, status, reason,"
                " recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    outcome["id"],
                    lead_id,
                    client,
                    status,
                    reason,
                    outcome["recorded_at"],
                ],
            )
            db.execute(
                "UPDATE leads SET outcome = ?, updated_at = ? WHERE id = ?",
                [status, outcome["recorded_at"], lead_id],
            )
            lead.update(outcome=status, updated_at=outcome["recorded_at"])
            if self._has_real_submission(db, lead_id):
                payload = events.outcome_payload(lead, outcome)
                enqueue(db, client, "outcome.recorded", lead_id, payload)
        return outcome

    def _client_lead(
        self, db: sqlite_utils.Database, client: str, lead_id: str
    ) -> dict[str, Any] | None:
        rows = list(
            db.query(
                "SELECT * FROM leads WHERE id = ? AND client = ?", [lead_id, client]
            )
        )
        return decode(rows[0]) if rows else None

    def _has_real_submission(self, db: sqlite_utils.Database, lead_id: str) -> bool:
        row = db.execute(
            "SELECT 1 FROM submissions WHERE lead_id = ? AND is_test = 0 LIMIT 1",
            [lead_id],
        ).fetchone()
        return row is not None
