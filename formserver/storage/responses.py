"""Forms in progress: the spec versions they answer and their partial responses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from .database import Database, new_id, now


@dataclass
class Partial:
    """A form in progress: the answers so far, by step, on one spec version."""

    id: str
    client: str
    form: str
    version: str
    answers: dict[str, dict[str, Any]]
    drafts: dict[str, dict[str, list[str]]]
    captured: dict[str, str]
    step: str
    status: str
    submission_id: str | None
    lead_id: str | None
    created_at: str
    updated_at: str
    recognised_by: str | None = None
    flags: list[str] = field(default_factory=list)
    rendered_at: float | None = None
    is_test: bool = False

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Partial:
        return cls(
            id=row["id"],
            client=row["client"],
            form=row["form"],
            version=row["version"],
            answers=json.loads(row["answers"]),
            drafts=json.loads(row["drafts"]),
            captured=json.loads(row["captured"]),
            step=row["step"],
            status=row["status"],
            submission_id=row["submission_id"],
            lead_id=row["lead_id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            recognised_by=row.get("recognised_by"),
            flags=json.loads(row.get("flags") or "[]"),
            rendered_at=row.get("rendered_at"),
            is_test=bool(row.get("is_test")),
        )


class Responses(Database):
    """Spec versions and the partial responses of forms in progress."""

    def remember_spec(
        self, client: str, form: str, version: str, document: Any
    ) -> None:
        """Keep a spec version so that prospects who started on it can finish."""
        if (client, form, version) in self._remembered:
            return
        self._remembered.add((client, form, version))
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO spec_versions VALUES (?, ?, ?, ?, ?)",
                [client, form, version, json.dumps(document), now()],
            )

    def spec_document(self, client: str, form: str, version: str) -> Any | None:
        """The document of a remembered spec version, or None."""
        row = self.db.execute(
            "SELECT document FROM spec_versions"
            " WHERE client = ? AND form = ? AND version = ?",
            [client, form, version],
        ).fetchone()
        return json.loads(row[0]) if row else None

    def spec_history(self, client: str, form: str) -> list[str]:
        """The remembered versions of a form, the newest in use first.

        A version counts from when it was first seen or last started on,
        whichever is later, so that a version put back after a newer one ranks
        first again once a prospect starts on it.
        """
        rows = self.db.execute(_HISTORY_SQL, [client, form]).fetchall()
        return [row[0] for row in rows]

    def new_partial(
        self,
        client: str,
        form: str,
        version: str,
        captured: dict[str, str],
        lead_id: str | None = None,
        recognised_by: str | None = None,
        rendered_at: float | None = None,
        is_test: bool = False,
    ) -> Partial:
        """A new, empty partial response on ``version``; stored when first saved.

        ``lead_id`` names the lead the prospect was recognised as, and
        ``recognised_by`` how: ``link``, ``embed``, ``cookie`` or ``email``.
        """
        stamp = now()
        return Partial(
            id=new_id("prt"),
            client=client,
            form=form,
            version=version,
            answers={},
            drafts={},
            captured=captured,
            step="",
            status="open",
            submission_id=None,
            lead_id=lead_id,
            created_at=stamp,
            updated_at=stamp,
            recognised_by=recognised_by,
            rendered_at=rendered_at,
            is_test=is_test,
        )

    def start_partial(self, *args: Any, **options: Any) -> Partial:
        """A new partial response, stored at once (see :meth:`new_partial`)."""
        partial = self.new_partial(*args, **options)
        self.save_partial(partial)
        return partial

    def partial(self, partial_id: str) -> Partial | None:
        """The partial response ``partial_id``, or None."""
        rows = list(self.db.query("SELECT * FROM partials WHERE id = ?", [partial_id]))
        return Partial.from_row(rows[0]) if rows else None

    def save_partial(self, partial: Partial) -> None:
        """Store the answers, drafts and step reached of an open partial."""
        with self.transaction() as db:
            write_partial(db, partial)


_HISTORY_SQL = """
SELECT v.version
FROM spec_versions AS v
LEFT JOIN partials AS p
    ON p.client = v.client AND p.form = v.form AND p.version = v.version
WHERE v.client = ? AND v.form = ?
GROUP BY v.version
ORDER BY max(v.first_seen, coalesce(max(p.created_at), '')) DESC, v.rowid DESC
"""

_PARTIAL_COLUMNS = (
    "id client form version answers drafts captured step status submission_id"
    " lead_id created_at updated_at recognised_by flags rendered_at is_test"
).split()
_UPDATED_COLUMNS = "answers drafts step lead_id recognised_by flags updated_at".split()


def write_partial(db: sqlite_utils.Database, partial: Partial) -> None:
    """Insert ``partial``, or update it while it is still open."""
    partial.updated_at = now()
    values = {
        **partial.__dict__,
        "answers": json.dumps(partial.answers),
        "drafts": json.dumps(partial.drafts),
        "captured": json.dumps(partial.captured),
        "flags": json.dumps(partial.flags),
        "is_test": int(partial.is_test),
    }
    updates = ", ".join(f"{c} = excluded.{c}" for c in _UPDATED_COLUMNS)
    db.execute(
        f"INSERT INTO partials ({', '.join(_PARTIAL_COLUMNS)})"
        f" VALUES ({', '.join('?' * len(_PARTIAL_COLUMNS))})"
        f" ON CONFLICT(id) DO UPDATE SET {updates} WHERE partials.status = 'open'",
        [values[c] for c in _PARTIAL_COLUMNS],
    )
