"""The versions of a form: when each was first served, used, and how often.

Every spec version a prospect started on is kept in ``spec_versions``; the
partial responses and submissions on it say when it was in use. Knowing which
version a lead answered explains a change in lead quality after an edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from .catalog import load_spec
from .checker import check_spec
from .problems import Problem, SpecError


@dataclass(frozen=True)
class CurrentVersion:
    """What the spec file of a form holds now: its version, or its problems.

    ``version`` is None when the file is missing or broken; ``problems`` then
    says what is wrong, and is empty for a missing file.
    """

    path: Path
    version: str | None
    problems: list[Problem]


_VERSIONS_SQL = """
WITH uses AS (
    SELECT version, submitted_at AS first_at, submitted_at AS last_at, 1 AS done
    FROM submissions WHERE client = :client AND form = :form
    UNION ALL
    SELECT version, created_at, updated_at, 0
    FROM partials WHERE client = :client AND form = :form
),
known AS (
    SELECT version, first_seen FROM spec_versions
    WHERE client = :client AND form = :form
    UNION
    SELECT DISTINCT version, NULL FROM uses
    WHERE version NOT IN (
        SELECT version FROM spec_versions WHERE client = :client AND form = :form
    )
)
SELECT
    known.version,
    known.first_seen,
    min(uses.first_at) AS first_use,
    max(uses.last_at) AS last_use,
    coalesce(sum(uses.done), 0) AS submissions
FROM known LEFT JOIN uses ON uses.version = known.version
GROUP BY known.version, known.first_seen
ORDER BY coalesce(known.first_seen, min(uses.first_at)), known.version
"""


def current_version(specs: Path, client: str, form: str) -> CurrentVersion:
    """The version of ``client/form`` that its spec file on disk would serve.

    Read as the catalog reads it, a spec with checker errors serves nothing,
    but quietly: a command reports the problems itself rather than in a log.
    """
    path = Path(specs) / client / f"{form}.json"
    if not path.is_file():
        return CurrentVersion(path, None, [])
    try:
        spec = load_spec(path, client, form)
    except SpecError as error:
        return CurrentVersion(path, None, error.problems)
    errors = [p for p in check_spec(spec) if p.severity == "error"]
    return CurrentVersion(path, None if errors else spec.version, errors)


def list_versions(
    db: sqlite_utils.Database, current: str | None, client: str, form: str
) -> list[dict[str, Any]]:
    """Every version of ``client/form`` the database ``db`` knows, oldest first.

    Each has ``version``, ``current`` (whether it is ``current``, the version
    of the spec file on disk), ``first_seen``, ``first_use`` and ``last_use``
    (ISO times, or None) and the number of ``submissions``. The current
    version is listed last, with no dates, when no prospect has started on it
    yet.
    """
    rows = db.query(_VERSIONS_SQL, {"client": client, "form": form})
    versions = [{**row, "current": row["version"] == current} for row in rows]
    if current is not None and not any(v["current"] for v in versions):
        versions.append(
            {
                "version": current,
                "first_seen": None,
                "first_use": None,
                "last_use": None,
                "submissions": 0,
                "current": True,
            }
        )
    return versions
