"""Finishing a form: the submission, the lead it joins, and held spam released.

Completion runs in one durable transaction: the submission, the lead, its
profile and consents and the outbox event are written together or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from .database import Database, new_id, now
from .outbox import enqueue_lead_event
from .responses import Partial, write_partial


@dataclass(frozen=True)
class Completion:
    """What finishing a form stores: the submission, and the lead it belongs to."""

    client: str
    form: str
    version: str
    email: str | None
    answers: dict[str, Any]
    profile: dict[str, Any]
    tag: dict[str, Any]
    captured: dict[str, str]
    path: list[str]
    sources: dict[str, str]
    consents: list[dict[str, Any]] = field(default_factory=list)
    is_test: bool = False
    spam_reasons: list[str] = field(default_factory=list)

    def held(self) -> str:
        """What a flagged submission keeps so that a marketer can release it."""
        return json.dumps(
            {
                "email": self.email,
                "profile": self.profile,
                "sources": self.sources,
                "consents": self.consents,
            }
        )


class Completions(Database):
    """Completing a form once, and releasing a submission held as spam."""

    def complete(self, partial: Partial, completion: Completion) -> None:
        """Store the submission and update the lead, once.

        ``partial`` comes back marked complete with its submission and lead. A
        second call for the same partial (a double click, a resend) stores
        nothing and gives the first submission. Suspected spam is stored,
        flagged and held: no lead, no profile, no event until it is released.
        A marketer's test is stored the same way and never becomes a lead.
        """
        with self.transaction(durable=True) as db:
            row = db.execute(
                "SELECT status, submission_id, lead_id FROM partials WHERE id = ?",
                [partial.id],
            ).fetchone()
            if row is not None and row[0] == "complete":
                partial.status, partial.submission_id, partial.lead_id = row
                return

            write_partial(db, partial)
            submission_id = new_id("sub")
            self._insert_submission(db, submission_id, None, partial, completion)
            lead_id: str | None = None
            if not (completion.spam_reasons or completion.is_test):
                trusted = _trusted_lead(partial)
                lead_id = self._take_in(db, submission_id, completion, trusted)
            db.execute(
                "UPDATE partials SET status = 'complete', submission_id = ?,"
                " lead_id = ?, answers = ?, drafts = '{}', updated_at = ?"
                " WHERE id = ?",
                [
                    submission_id,
                    lead_id,
                    json.dumps(partial.answers),
                    now(),
                    partial.id,
                ],
            )
        partial.status = "complete"
        partial.submission_id = submission_id
        partial.lead_id = lead_id

    def _take_in(
        self,
        db: sqlite_utils.Database,
        submission_id: str,
        completion: Completion,
        trusted_lead: str | None,
    ) -> str:
        """Attach a submission to its lead: profile, consents and the event."""
        lead_id, created = self._upsert_lead(db, completion, trusted_lead)
        db.execute(
            "UPDATE submissions SET lead_id = ? WHERE id = ?", [lead_id, submission_id]
        )
        self._record_profile(db, lead_id, submission_id, completion)
        self._record_consents(db, lead_id, submission_id, completion)
        if not completion.is_test:
            kind = "lead.submitted" if created else "lead.updated"
            enqueue_lead_event(db, kind, lead_id, submission_id)
        return lead_id

    def release(self, submission_id: str) -> str | None:
        """Treat a flagged submission as genuine after all; return its lead id."""
        with self.transaction() as db:
            rows = list(
                db.query(
                    "SELECT * FROM submissions WHERE id = ? AND spam = 1",
                    [submission_id],
                )
            )
            if not rows:
                return None
            row = rows[0]
            held = json.loads(row["held"])
            completion = Completion(
                client=row["client"],
                form=row["form"],
                version=row["version"],
                email=held["email"],
                answers=json.loads(row["answers"]),
                profile=held["profile"],
                tag=json.loads(row["tag"]),
                captured=json.loads(row["captured"]),
                path=json.loads(row["path"]),
                sources=held["sources"],
                consents=held["consents"],
            )
            db.execute(
                "UPDATE submissions SET spam = 0, held = NULL WHERE id = ?",
                [submission_id],
            )
            lead_id = self._take_in(db, submission_id, completion, None)
            db.execute(
                "UPDATE partials SET lead_id = ? WHERE submission_id = ?",
                [lead_id, submission_id],
            )
        return lead_id

    def _upsert_lead(
        self, db: sqlite_utils.Database, completion: Completion, lead_id: str | None
    ) -> tuple[str, bool]:
        """The lead's id after the update, and whether it is new."""
        tag = completion.tag
        route = tag["route"]["track"] if tag.get("route") else None
        stamp = now()
        existing = None
        if lead_id:
            existing = db.execute(
                "SELECT id, profile FROM leads WHERE id = ? AND client = ?",
                [lead_id, completion.client],
            ).fetchone()
        if existing is None and completion.email:
            existing = db.execute(
                "SELECT id, profile FROM leads WHERE client = ? AND email = ?",
                [completion.client, completion.email],
            ).fetchone()
        if existing:
            profile = json.loads(existing[1])
            profile.update(completion.profile)
            db.execute(
                "UPDATE leads SET profile = ?, tag = ?, score = ?, tier = ?,"
                " segment = ?, route = ?, updated_at = ? WHERE id = ?",
                [
                    json.dumps(profile),
                    json.dumps(tag),
                    tag["score"],
                    tag["tier"],
                    tag["segment"],
                    route,
                    stamp,
                    existing[0],
                ],
            )
            return str(existing[0]), False

        lead_id = new_id("lead")
        db.execute(
            "INSERT INTO leads (id, client, email, profile, tag, score, tier, segment,"
            " route, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                lead_id,
                completion.client,
                completion.email,
                json.dumps(completion.profile),
                json.dumps(tag),
                tag["score"],
                tag["tier"],
                tag["segment"],
                route,
                stamp,
                stamp,
            ],
        )
        return lead_id, True

    def _insert_submission(
        self,
        db: sqlite_utils.Database,
        submission_id: str,
        lead_id: str | None,
        partial: Partial,
        completion: Completion,
    ) -> None:
        tag = completion.tag
        db.execute(
            "INSERT INTO submissions (id, client, form, version, lead_id,"
            " partial_id, answers, path, tag, score, tier, segment, route, captured,"
            " started_at, submitted_at, is_test, spam, spam_reasons, held)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                submission_id,
                completion.client,
                completion.form,
                completion.version,
                lead_id,
                partial.id,
                json.dumps(completion.answers),
                json.dumps(completion.path),
                json.dumps(tag),
                tag["score"],
                tag["tier"],
                tag["segment"],
                tag["route"]["track"] if tag.get("route") else None,
                json.dumps(completion.captured),
                partial.created_at,
                now(),
                int(completion.is_test),
                int(bool(completion.spam_reasons)),
                json.dumps(completion.spam_reasons),
                completion.held() if completion.spam_reasons else None,
            ],
        )

    def _record_consents(
        self,
        db: sqlite_utils.Database,
        lead_id: str,
        submission_id: str,
        completion: Completion,
    ) -> None:
        for consent in completion.consents:
            db.execute(
                "INSERT INTO consents VALUES (?, ?, ?, ?, ?, ?)",
                [
                    lead_id,
                    submission_id,
                    consent["field"],
                    consent["text"],
                    int(consent["agreed"]),
                    now(),
                ],
            )

    def _record_profile(
        self,
        db: sqlite_utils.Database,
        lead_id: str,
        submission_id: str,
        completion: Completion,
    ) -> None:
        stamp = now()
        for key, value in completion.profile.items():
            db.execute(
                "UPDATE profile_values SET current = 0 WHERE lead_id = ? AND key = ?",
                [lead_id, key],
            )
            db.execute(
                "INSERT INTO profile_values VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                [
                    lead_id,
                    key,
                    json.dumps(value),
                    completion.form,
                    completion.sources.get(key, ""),
                    submission_id,
                    stamp,
                ],
            )


def _trusted_lead(partial: Partial) -> str | None:
    """The lead the prospect was recognised as, by token or by the email typed.

    A typed email that matched a lead makes the form skip the email question
    itself, so the submission joins that lead by its id.
    """
    return partial.lead_id if partial.recognised_by else None
