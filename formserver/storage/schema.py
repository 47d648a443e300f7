"""The database schema, as migrations applied in order."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


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
