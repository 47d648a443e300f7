"""The events handed to CRMs, and what each carries.

A CRM needs enough to create or update a contact and route it: the lead with its
profile, its latest qualification tag with every reason and the route, the
values captured from the landing URL, and the spec version it answered. Nothing
else leaves: not the raw answers of abandoned branches, not partial responses.
"""

from __future__ import annotations

from typing import Any

#: Every event type a client's webhook endpoint may subscribe to.
EVENT_TYPES = ("lead.submitted", "lead.updated", "outcome.recorded", "lead.erased")


def envelope(kind: str, timestamp: str, data: dict[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks shape: ``type``, ``timestamp`` and ``data``."""
    return {"type": kind, "timestamp": timestamp, "data": data}


def lead_data(lead: dict[str, Any]) -> dict[str, Any]:
    """The lead as a CRM contact: identity, profile, tag and outcome."""
    return {
        "id": lead["id"],
        "client": lead["client"],
        "email": lead["email"],
        "profile": lead["profile"],
        "tag": lead["tag"],
        "outcome": lead.get("outcome"),
        "created_at": lead["created_at"],
        "updated_at": lead["updated_at"],
    }


def lead_payload(
    kind: str, lead: dict[str, Any], submission: dict[str, Any]
) -> dict[str, Any]:
    """A ``lead.submitted`` or ``lead.updated`` event for one submission."""
    data = {
        "lead": lead_data(lead),
        "submission": {
            "id": submission["id"],
            "form": submission["form"],
            "spec_version": submission["version"],
            "submitted_at": submission["submitted_at"],
            "tag": submission["tag"],
        },
        "hidden": submission["captured"],
    }
    return envelope(kind, submission["submitted_at"], data)


def outcome_payload(lead: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    """An ``outcome.recorded`` event: what sales reported for a lead."""
    data = {
        "lead": lead_data(lead),
        "outcome": {
            "id": outcome["id"],
            "status": outcome["status"],
            "reason": outcome["reason"],
            "recorded_at": outcome["recorded_at"],
        },
    }
    return envelope("outcome.recorded", outcome["recorded_at"], data)


def erased_payload(client: str, lead_id: str, timestamp: str) -> dict[str, Any]:
    """A ``lead.erased`` event: it names the lead by id only, never by email."""
    return envelope(
        "lead.erased", timestamp, {"lead": {"id": lead_id, "client": client}}
    )
