"""The database schema, as migrations applied in order."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _create_v1(db: sqlite_utils.Database) -> None:
    db.table("spec_versions").create(
        {
            "client": str,
            "form": str,
            "version": str,
            "document": str,
            "first_seen": str,
        },
        pk=("client", "form", "version"),
    )
    db.table("partials").create(
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
    db.table("leads").create(
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
    db.table("leads").create_index(["client", "email"], unique=True)
    db.table("submissions").create(
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
    db.table("submissions").create_index(["partial_id"], unique=True)
    db.table("submissions").create_index(["client", "submitted_at"])
    db.table("profile_values").create(
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
    db.table("profile_values").create_index(["lead_id", "key"])


def _recognition_v2(db: sqlite_utils.Database) -> None:
    db.table("partials").add_column("recognised_by", str)


def _handoff_v3(db: sqlite_utils.Database) -> None:
    """Outbox, deliveries, API tokens, outcomes and consents (the hand-off)."""
    db.table("events").create(
        {
            "id": str,
            "client": str,
            "type": str,
            "lead_id": str,
            "payload": str,
            "created_at": str,
            "fanned_out": int,
        },
        pk="id",
    )
    db.table("events").create_index(["fanned_out"])
    db.table("events").create_index(["lead_id"])
    db.table("deliveries").create(
        {
            "id": int,
            "event_id": str,
            "client": str,
            "endpoint": str,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "leased_until": str,
            "last_status": int,
            "last_error": str,
            "delivered_at": str,
            "created_at": str,
        },
        pk="id",
    )
    db.table("deliveries").create_index(["event_id", "endpoint"], unique=True)
    db.table("deliveries").create_index(["status", "next_attempt_at"])
    db.table("delivery_attempts").create(
        {
            "delivery_id": int,
            "attempt": int,
            "at": str,
            "status": int,
            "error": str,
            "duration_ms": float,
        }
    )
    db.table("delivery_attempts").create_index(["delivery_id"])
    db.table("disabled_endpoints").create(
        {"client": str, "endpoint": str, "disabled_at": str, "reason": str},
        pk=("client", "endpoint"),
    )
    db.table("api_tokens").create(
        {
            "id": str,
            "client": str,
            "hash": str,
            "label": str,
            "created_at": str,
            "last_used_at": str,
        },
        pk="id",
    )
    db.table("api_tokens").create_index(["hash"], unique=True)
    db.table("outcomes").create(
        {
            "id": str,
            "lead_id": str,
            "client": str,
            "status": str,
            "reason": str,
            "recorded_at": str,
        },
        pk="id",
    )
    db.table("outcomes").create_index(["lead_id"])
    db.table("consents").create(
        {
            "lead_id": str,
            "submission_id": str,
            "field": str,
            "text": str,
            "agreed": int,
            "at": str,
        }
    )
    db.table("consents").create_index(["lead_id"])
    db.table("leads").add_column("outcome", str)
    db.table("submissions").add_column("is_test", int, not_null_default=0)


def _spam_v4(db: sqlite_utils.Database) -> None:
    """Suspected spam is kept and flagged, with what it needs to be released."""
    db.table("partials").add_column("flags", str, not_null_default="[]")
    db.table("partials").add_column("rendered_at", float)
    db.table("submissions").add_column("spam", int, not_null_default=0)
    db.table("submissions").add_column("spam_reasons", str)
    db.table("submissions").add_column("held", str)
    db.table("submissions").create_index(["spam"])


def _tests_v5(db: sqlite_utils.Database) -> None:
    """A marketer's test run through a form is marked from its first answer."""
    db.table("partials").add_column("is_test", int, not_null_default=0)


def _indexes_v6(db: sqlite_utils.Database) -> None:
    """Indexes for the API's listings and a lead's submissions."""
    db.table("submissions").create_index(["lead_id"])
    db.table("leads").create_index(["client", "created_at", "id"])


def _client_versions_v7(db: sqlite_utils.Database) -> None:
    """Good client files, to stand in for one that breaks before a process reads it."""
    db.table("client_versions").create(
        {
            "client": str,
            "version": str,
            "document": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk=("client", "version"),
    )


#: Each entry migrates the schema one version up; the index is the version it
#: reaches minus one. Append only: never edit a migration that has shipped.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _create_v1,
    _recognition_v2,
    _handoff_v3,
    _spam_v4,
    _tests_v5,
    _indexes_v6,
    _client_versions_v7,
]
