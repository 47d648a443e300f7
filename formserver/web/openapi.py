"""The OpenAPI 3.1 document of the JSON API, and the shapes it promises.

Schemathesis checks the API against this document in the tests, and the tenant
isolation test walks its paths: an endpoint left out of it fails a test rather
than going unchecked.
"""

from __future__ import annotations

from typing import Any

from ..storage.access import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_REASON_LENGTH,
    OUTCOME_STATUSES,
)

EXPORT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
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


def _schema(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _error(description: str) -> dict[str, Any]:
    return _json(description, _schema("Error"))


def _object(**properties: Any) -> dict[str, Any]:
    """An object that has every one of ``properties``."""
    return {"type": "object", "required": list(properties), "properties": properties}


def _filter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


_TEXT = {"type": "string"}
_MOMENT = {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}
_MOMENT_HELP = " this moment: a date (the whole day, UTC) or an RFC 3339 date-time."
_FILTERS = [
    _filter("tier", "Only leads of this tier, such as hot.", _TEXT),
    _filter("segment", "Only leads of this segment, such as investor.", _TEXT),
    _filter("route", "Only leads on this follow-up route.", _TEXT),
    _filter("source", "Only leads with a submission of this utm_source.", _TEXT),
    _filter(
        "created_since", "Only leads first seen at or after" + _MOMENT_HELP, _MOMENT
    ),
    _filter(
        "created_until", "Only leads first seen at or before" + _MOMENT_HELP, _MOMENT
    ),
    _filter(
        "submitted_since",
        "Only leads with a submission at or after" + _MOMENT_HELP,
        _MOMENT,
    ),
    _filter(
        "submitted_until",
        "Only leads with a submission at or before" + _MOMENT_HELP,
        _MOMENT,
    ),
    _filter(
        "include_tests",
        "Also list leads that only ever sent test submissions.",
        {"type": "boolean", "default": False},
    ),
]
_LEAD_ID = {
    "name": "lead_id",
    "in": "path",
    "required": True,
    "description": "The lead's id, as listed.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
    "example": "lead_3kTq9vXw2LpA8sZc1RbN0w",
}
_OUTCOME_STATUS = {"enum": list(OUTCOME_STATUSES)}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": _TEXT, "message": _TEXT},
        "additionalProperties": False,
    },
    "Tag": {
        "type": "object",
        "required": ["score", "tier", "segment", "reasons", "route"],
        "properties": {
            "score": {"type": "number"},
            "tier": _TEXT,
            "segment": {"type": ["string", "null"]},
            "reasons": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["rule", "reason", "points", "knockout"],
                    "properties": {
                        "rule": _TEXT,
                        "reason": _TEXT,
                        "points": {"type": "number"},
                        "knockout": {"type": "boolean"},
                    },
                },
            },
            "route": {
                "type": ["object", "null"],
                "properties": {
                    "track": _TEXT,
                    "thank_you": _TEXT,
                    "redirect": {"type": ["string", "null"]},
                },
            },
        },
    },
    "Lead": {
        "type": "object",
        "required": list(LEAD_FIELDS),
        "properties": {
            "id": _TEXT,
            "email": {"type": ["string", "null"]},
            "tier": {"type": ["string", "null"]},
            "score": {"type": ["number", "null"]},
            "segment": {"type": ["string", "null"]},
            "route": {"type": ["string", "null"]},
            "outcome": {"enum": [*OUTCOME_STATUSES, None]},
            "tag": {"anyOf": [_schema("Tag"), {"type": "null"}]},
            "profile": {"type": "object"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "Outcome": {
        "type": "object",
        "required": ["id", "status", "reason", "recorded_at"],
        "properties": {
            "id": _TEXT,
            "status": _OUTCOME_STATUS,
            "reason": {"type": ["string", "null"]},
            "recorded_at": {"type": "string", "format": "date-time"},
        },
    },
    "LeadDetail": {
        "allOf": [
            _schema("Lead"),
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
                                "id": _TEXT,
                                "form": _TEXT,
                                "version": _TEXT,
                                "tag": _schema("Tag"),
                                "captured": {
                                    "type": "object",
                                    "additionalProperties": _TEXT,
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
                                "key": _TEXT,
                                "value": {},
                                "form": {"type": ["string", "null"]},
                                "step": {"type": ["string", "null"]},
                                "submission_id": {"type": ["string", "null"]},
                                "learned_at": {"type": "string", "format": "date-time"},
                                "current": {"type": "boolean"},
                            },
                        },
                    },
                    "outcomes": {"type": "array", "items": _schema("Outcome")},
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

_RESPONSES: dict[str, Any] = {
    "BadRequest": _error("A query parameter or the JSON body cannot be read."),
    "Unauthenticated": {
        **_error("The bearer token is missing, unknown or revoked."),
        "headers": {
            "WWW-Authenticate": {
                "description": "The Bearer challenge.",
                "required": True,
                "schema": _TEXT,
            }
        },
    },
    "NotFound": _error("There is no such lead, or it belongs to another client."),
}


def _refs(*names: str) -> dict[str, Any]:
    codes = {"BadRequest": "400", "Unauthenticated": "401", "NotFound": "404"}
    return {codes[name]: {"$ref": f"#/components/responses/{name}"} for name in names}


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "formserver API",
        "version": "1.0.0",
        "description": "Tagged leads of one client, their outcomes and exports. "
        "Every error is JSON with an error title and a message sentence.",
    },
    "security": [{"bearerAuth": []}],
    "paths": {
        "/api/v1/leads": {
            "get": {
                "operationId": "listLeads",
                "summary": "List leads, oldest first, a page at a time",
                "description": "Filters combine with AND. The submission filters "
                "(source, submitted_since, submitted_until) select a lead when "
                "one of its submissions matches them all. A lead that arrives "
                "while pages are walked appears on a later page, never in a gap.",
                "parameters": [
                    *_FILTERS,
                    _filter(
                        "cursor",
                        "The next_cursor of the previous page.",
                        {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
                    ),
                    _filter(
                        "limit",
                        "Leads per page.",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_PAGE_SIZE,
                            "default": DEFAULT_PAGE_SIZE,
                        },
                    ),
                ],
                "responses": {
                    "200": _json(
                        "A page; next_cursor is null on the last one.",
                        _object(
                            leads={"type": "array", "items": _schema("Lead")},
                            next_cursor={"type": ["string", "null"]},
                        ),
                    ),
                    **_refs("BadRequest", "Unauthenticated"),
                },
            }
        },
        "/api/v1/leads/export": {
            "get": {
                "operationId": "exportLeads",
                "summary": "Export every lead the filters select, as CSV or JSONL",
                "parameters": [
                    {
                        **_filter(
                            "format",
                            "csv (formulas neutralised) or jsonl.",
                            {"enum": list(EXPORT_TYPES)},
                        ),
                        "required": True,
                    },
                    *_FILTERS,
                ],
                "responses": {
                    "200": {
                        "description": "One row or line per lead.",
                        "content": {
                            media: {"schema": _TEXT} for media in EXPORT_TYPES.values()
                        },
                    },
                    **_refs("BadRequest", "Unauthenticated"),
                },
            }
        },
        "/api/v1/leads/{lead_id}": {
            "get": {
                "operationId": "getLead",
                "summary": "One lead with submissions, profile history and outcomes",
                "parameters": [_LEAD_ID],
                "responses": {
                    "200": _json("The lead.", _object(lead=_schema("LeadDetail"))),
                    **_refs("BadRequest", "Unauthenticated", "NotFound"),
                },
            }
        },
        "/api/v1/leads/{lead_id}/outcome": {
            "post": {
                "operationId": "recordOutcome",
                "summary": "Record what happened to a lead",
                "parameters": [_LEAD_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _schema("OutcomeRequest"),
                            "example": {"status": "converted"},
                        }
                    },
                },
                "responses": {
                    "201": _json(
                        "Recorded; the lead now carries it.",
                        _object(outcome=_schema("Outcome"), lead=_schema("Lead")),
                    ),
                    **_refs("BadRequest", "Unauthenticated", "NotFound"),
                    "413": _error("The body is larger than the server accepts."),
                    "415": _error("The body is not sent as application/json."),
                    "422": _error("The JSON body is not a valid outcome."),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": _json("The OpenAPI 3.1 document.", {"type": "object"})
                },
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token made for one client; it sees that client only.",
            }
        },
        "schemas": _SCHEMAS,
        "responses": _RESPONSES,
    },
}
