"""The versions of a form: when each was first served, used, and how often.

Every spec version a prospect started on is kept in ``spec_versions``; the
partial responses and submissions on it say when it was in use. Knowing which
version a lead answered explains a change in lead quality after an edit.
"""

from __future__ import annotations

from typing import Any

from .catalog import Catalog
from .storage import Storage

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


def list_versions(
    storage: Storage, catalog: Catalog, client: str, form: str
) -> list[dict[str, Any]]:
    """Every version of ``client/form`` the database knows, oldest first.

    Each has ``version``, ``current`` (whether the spec file on disk has this
    content now), ``first_seen``, ``first_use`` and ``last_use`` (ISO times, or
    None) and the number of ``submissions``. The current version is listed
    last, with no dates, when no prospect has started on it yet.
    """
    spec = catalog.spec(client, form)
    current = spec.version if spec is not None else None
    rows = storage.db.query(_VERSIONS_SQL, {"client": client, "form": form})
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
