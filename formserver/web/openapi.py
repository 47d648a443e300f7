"""The OpenAPI 3.1 document of the JSON API: its paths, parameters and security.

Schemathesis checks the API against this document in the tests, and the tenant
isolation test walks its paths: an endpoint left out of it fails a test rather
than going unchecked.
"""

from __future__ import annotations

from typing import Any

from ..storage.access import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from .apishapes import RESPONSES, SCHEMAS, TEXT, error_body, json_body, schema_ref

EXPORT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}


def _object(**properties: Any) -> dict[str, Any]:
    """An object that has every one of ``properties``."""
    return {"type": "object", "required": list(properties), "properties": properties}


def _filter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema}


_MOMENT = {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}
_MOMENT_HELP = " this moment: a date (the whole day, UTC) or an RFC 3339 date-time."
_FILTERS = [
    _filter("tier", "Only leads of this tier, such as hot.", TEXT),
    _filter("segment", "Only leads of this segment, such as investor.", TEXT),
    _filter("route", "Only leads on this follow-up route.", TEXT),
    _filter("source", "Only leads with a submission of this utm_source.", TEXT),
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
                    "200": json_body(
                        "A page; next_cursor is null on the last one.",
                        _object(
                            leads={"type": "array", "items": schema_ref("Lead")},
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
                            media: {"schema": TEXT} for media in EXPORT_TYPES.values()
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
                    "200": json_body(
                        "The lead.", _object(lead=schema_ref("LeadDetail"))
                    ),
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
                            "schema": schema_ref("OutcomeRequest"),
                            "example": {"status": "converted"},
                        }
                    },
                },
                "responses": {
                    "201": json_body(
                        "Recorded; the lead now carries it.",
                        _object(outcome=schema_ref("Outcome"), lead=schema_ref("Lead")),
                    ),
                    **_refs("BadRequest", "Unauthenticated", "NotFound"),
                    "413": error_body("The body is larger than the server accepts."),
                    "415": error_body("The body is not sent as application/json."),
                    "422": error_body("The JSON body is not a valid outcome."),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": json_body("The OpenAPI 3.1 document.", {"type": "object"})
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
        "schemas": SCHEMAS,
        "responses": RESPONSES,
    },
}
