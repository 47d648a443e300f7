"""The JSON shapes the API promises: its schemas and its error responses.

They are the ``components`` of the OpenAPI document in :mod:`.openapi`; the API
views build their answers to match them.
"""

from __future__ import annotations

from typing import Any

from ..storage.access import MAX_REASON_LENGTH, OUTCOME_STATUSES

LEAD_FIELDS = (
    "id",
    "email",
    "tier",
    "score",
    "segment",
    "route",
    "outcome",
    "tag",
    "profile",
    "created_at",
    "updated_at",
)

TEXT = {"type": "string"}


def schema_ref(name: str) -> dict[str, str]:
    """A reference to the schema ``name`` of the document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON response described by ``description`` and shaped by ``schema``."""
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def error_body(description: str) -> dict[str, Any]:
    """An error response: the Error shape, with what causes it."""
    return json_body(description, schema_ref("Error"))


_OUTCOME_STATUS = {"enum": list(OUTCOME_STATUSES)}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": TEXT, "message": TEXT},
        "additionalProperties": False,
    },
    "Tag": {
        "type": "object",
        "required": ["score", "tier", "segment", "reasons", "route"],
        "properties": {
            "score": {"type": "number"},
            "tier": TEXT,
            "segment": {"type": ["string", "null"]},
            "reasons": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["rule", "reason", "points", "knockout"],
                    "properties": {
                        "rule": TEXT,
                        "reason": TEXT,
                        "points": {"type": "number"},
                        "knockout": {"type": "boolean"},
                    },
                },
            },
            "route": {
                "type": ["object", "null"],
                "properties": {
                    "track": TEXT,
                    "thank_you": TEXT,
                    "redirect": {"type": ["string", "null"]},
                },
            },
        },
    },
    "Lead": {
        "type": "object",
        "required": list(LEAD_FIELDS),
        "properties": {
            "id": TEXT,
            "email": {"type": ["string", "null"]},
            "tier": {"type": ["string", "null"]},
            "score": {"type": ["number", "null"]},
            "segment": {"type": ["string", "null"]},
            "route": {"type": ["string", "null"]},
            "outcome": {"enum": [*OUTCOME_STATUSES, None]},
            "tag": {"anyOf": [schema_ref("Tag"), {"type": "null"}]},
            "profile": {"type": "object"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "Outcome": {
        "type": "object",
        "required": ["id", "status", "reason", "recorded_at"],
        "properties": {
            "id": TEXT,
            "status": _OUTCOME_STATUS,
            "reason": {"type": ["string", "null"]},
            "recorded_at": {"type": "string", "format": "date-time"},
        },
    },
    "LeadDetail": {
        "allOf": [
            schema_ref("Lead"),
            {
                "type": "object",
                "required": ["submissions", "profile_history", "outcomes"],
                "properties": {
                    "submissions": {
                        "description": "Each completed form; answers are those "
                        "of the path the prospect took.",
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "form", "version", "tag", "captured"],
                            "properties": {
                                "id": TEXT,
                                "form": TEXT,
                                "version": TEXT,
                                "tag": schema_ref("Tag"),
                                "captured": {
                                    "type": "object",
                                    "additionalProperties": TEXT,
                                },
                                "answers": {"type": "object"},
                                "is_test": {"type": "boolean"},
                                "submitted_at": {
                                    "type": "string",
                                    "format": "date-time",
                                },
                            },
                        },
                    },
                    "profile_history": {
                        "description": "Every value learned, oldest first.",
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "value", "learned_at", "current"],
                            "properties": {
                                "key": TEXT,
                                "value": {},
                                "form": {"type": ["string", "null"]},
                                "step": {"type": ["string", "null"]},
                                "submission_id": {"type": ["string", "null"]},
                                "learned_at": {"type": "string", "format": "date-time"},
                                "current": {"type": "boolean"},
                            },
                        },
                    },
                    "outcomes": {"type": "array", "items": schema_ref("Outcome")},
                },
            },
        ]
    },
    "OutcomeRequest": {
        "description": "What sales reports; disqualified needs a reason.",
        "oneOf": [
            {
                "type": "object",
                "required": ["status"],
                "properties": {
                    "status": {"enum": ["converted", "open"]},
                    "reason": {
                        "type": ["string", "null"],
                        "maxLength": MAX_REASON_LENGTH,
                    },
                },
                "additionalProperties": False,
            },
            {
                "type": "object",
                "required": ["status", "reason"],
                "properties": {
                    "status": {"const": "disqualified"},
                    "reason": {
                        "description": "Why, in at least one visible character.",
                        "type": "string",
                        "pattern": "\\S",
                        "maxLength": MAX_REASON_LENGTH,
                    },
                },
                "additionalProperties": False,
            },
        ],
    },
}

RESPONSES: dict[str, Any] = {
    "BadRequest": error_body("A query parameter or the JSON body cannot be read."),
    "Unauthenticated": {
        **error_body("The bearer token is missing, unknown or revoked."),
        "headers": {
            "WWW-Authenticate": {
                "description": "The Bearer challenge.",
                "required": True,
                "schema": TEXT,
            }
        },
    },
    "NotFound": error_body("There is no such lead, or it belongs to another client."),
}
