"""Export a client's leads with their tags as CSV or JSON Lines."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

LEAD_COLUMNS = ["id", "email", "tier", "score", "segment", "route", "reasons"]
TIME_COLUMNS = ["created_at", "updated_at"]

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: Any) -> Any:
    """Make a text cell safe to open in a spreadsheet: it can never run."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def lead_records(leads: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Each lead as one flat record: tag, reasons, profile and times."""
    for lead in leads:
        tag = lead["tag"] or {}
        record: dict[str, Any] = {
            "id": lead["id"],
            "email": lead["email"],
            "tier": lead["tier"],
            "score": lead["score"],
            "segment": lead["segment"],
            "route": lead["route"],
            "reasons": tag.get("reasons", []),
            "created_at": lead["created_at"],
            "updated_at": lead["updated_at"],
            "profile": lead["profile"] or {},
        }
        yield record


def write_leads(leads: Iterable[dict[str, Any]], output: str, stream: TextIO) -> int:
    """Write ``leads`` to ``stream`` as ``csv`` or ``jsonl``; return how many."""
    records = list(lead_records(leads))
    if output == "jsonl":
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        return len(records)

    profile_keys = sorted({k for r in records for k in r["profile"]} - {"email"})
    writer = csv.writer(stream)
    writer.writerow(LEAD_COLUMNS + profile_keys + TIME_COLUMNS)
    for record in records:
        reasons = "; ".join(
            f"{r['reason']} ({r['points']:+g})" if not r["knockout"] else r["reason"]
            for r in record["reasons"]
        )
        row = [record[c] for c in LEAD_COLUMNS[:-1]] + [reasons]
        row += [_cell(record["profile"].get(k)) for k in profile_keys]
        row += [record[c] for c in TIME_COLUMNS]
        writer.writerow([neutralise(value) for value in row])
    return len(records)


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if value is None:
        return ""
    return value
