"""What the database holds after a run, read-only, against what was acknowledged.

Every completion types its own email address, so the submissions and leads
of a completion are found by that address: in ``submissions.answers`` (the
field id the walk typed it into) and in ``leads.email``.

Only the standard library is imported here, so that the test suite can load
this file without the benchmarks folder on sys.path.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

#: Parts of a scenario's expectation that a stored submission can be held to.
TAGGED = ("segment", "tier", "score", "route")


class Walked(Protocol):
    """What the ledger needs to know of a scenario (crowd.Walk)."""

    email_field: str
    expect: dict[str, Any]
    key: str


@dataclass
class Ledger:
    """The database against the prospects' acknowledgments."""

    integrity: list[str]
    submissions: int
    acknowledged: int
    lost: list[str] = field(default_factory=list)
    duplicated: dict[str, int] = field(default_factory=dict)
    stored_unacknowledged: int = 0
    without_lead: list[str] = field(default_factory=list)
    spam: int = 0
    mistagged: dict[str, str] = field(default_factory=dict)

    @property
    def integrity_ok(self) -> bool:
        return self.integrity == ["ok"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "integrity_check": self.integrity,
            "integrity_ok": self.integrity_ok,
            "submissions_in_db": self.submissions,
            "acknowledged": self.acknowledged,
            "lost": len(self.lost),
            "lost_emails": self.lost[:10],
            "duplicated": len(self.duplicated),
            "duplicated_emails": dict(list(self.duplicated.items())[:10]),
            "stored_but_unacknowledged": self.stored_unacknowledged,
            "acknowledged_without_lead": len(self.without_lead),
            "flagged_as_spam": self.spam,
            "tagged_unlike_scenario": len(self.mistagged),
            "tagged_unlike_scenario_examples": dict(list(self.mistagged.items())[:5]),
        }


def check(
    db: Path, acknowledged: dict[str, Walked], started: dict[str, Walked]
) -> Ledger:
    """Match submissions and leads to ``acknowledged`` (email to walk).

    ``started`` holds every completion begun, acknowledged or not: one that
    was stored but never acknowledged (the run ended, or it failed after the
    commit) is counted, not lost; more than one submission for any of them is
    a duplicate.
    """
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        rows = conn.execute(
            "SELECT answers, segment, tier, score, route, spam FROM submissions"
        ).fetchall()
        leads = {row[0] for row in conn.execute("SELECT email FROM leads")}
    finally:
        conn.close()

    fields = {walk.email_field for walk in started.values()}
    per_email: Counter[str] = Counter()
    tags: dict[str, dict[str, Any]] = {}
    spam = 0
    for answers, *tag, flagged in rows:
        typed = json.loads(answers)
        email = next((typed[f] for f in fields if isinstance(typed.get(f), str)), "")
        per_email[email] += 1
        spam += bool(flagged)
        tags[email] = dict(zip(TAGGED, tag, strict=True))
    ledger = Ledger(integrity, len(rows), len(acknowledged), spam=spam)
    for email, walk in acknowledged.items():
        if per_email[email] == 0:
            ledger.lost.append(email)
        elif email not in leads:
            ledger.without_lead.append(email)
        if per_email[email]:
            difference = _unlike(walk.expect, tags[email])
            if difference:
                ledger.mistagged[walk.key] = difference
    for email in started:
        if per_email[email] > 1:
            ledger.duplicated[email] = per_email[email]
        elif per_email[email] and email not in acknowledged:
            ledger.stored_unacknowledged += 1
    return ledger


def _unlike(expect: dict[str, Any], stored: dict[str, Any]) -> str:
    """How a stored tag differs from the scenario's expectation, or ''."""
    found = []
    for name in TAGGED:
        if name in expect and expect[name] != stored[name]:
            found.append(f"{name} {stored[name]!r}, expected {expect[name]!r}")
    return "; ".join(found)
