"""The JSON API for sales and marketing ops: leads, their outcomes, exports.

Every request but the OpenAPI document names its client with a bearer token,
and sees that client's leads only: another client's lead is answered exactly
like one that does not exist, so a token cannot probe for ids. Every error,
including an unknown path or method under ``/api/``, is JSON of the shape
``{"error": title, "message": sentence}``.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge

from ..app import services
from ..export import write_leads
from ..storage.access import (
    DEFAULT_PAGE_SIZE,
    FILTER_NAMES,
    MAX_PAGE_SIZE,
    InvalidFilter,
    InvalidOutcome,
    LeadFilters,
    shown,
)
from .apishapes import LEAD_FIELDS
from .errors import PageError, render_error
from .openapi import DOCUMENT, EXPORT_TYPES

logger = logging.getLogger(__name__)

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

LIST_PARAMETERS = (*FILTER_NAMES, "cursor", "limit")
EXPORT_PARAMETERS = (*FILTER_NAMES, "format")


class Unauthenticated(PageError):
    """A request without a usable token, with the challenge to answer it."""

    def __init__(self, message: str, challenge: str) -> None:
        super().__init__(message, title="Not authenticated", status=401)
        self.challenge = challenge


@blueprint.before_request
def _authenticate() -> None:
    if request.endpoint == "api.openapi":
        return

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "Send an API token in the Authorization header, as "
            "'Authorization: Bearer <token>'.",
            'Bearer realm="formserver"',
        )
    client = services().storage.client_of_token(token.strip())
    if client is None:
        logger.warning("Refused an unknown or revoked API token")
        raise Unauthenticated(
            "This API token is not valid: it may have been revoked. Ask your "
            "formserver administrator for a new one.",
            'Bearer realm="formserver", error="invalid_token"',
        )
    g.api_client = client


@blueprint.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.errorhandler(Unauthenticated)
def _challenge(error: Unauthenticated) -> Response:
    response = render_error(error)
    response.headers["WWW-Authenticate"] = error.challenge
    return response


@blueprint.errorhandler(InvalidFilter)
def _bad_filter(error: InvalidFilter) -> Response:
    return render_error(PageError(str(error), title="Bad request", status=400))


@blueprint.errorhandler(InvalidOutcome)
def _bad_outcome(error: InvalidOutcome) -> Response:
    return render_error(PageError(str(error), title="Invalid outcome", status=422))


@blueprint.before_app_request
def _explain_routing_error() -> Response | None:
    """Answer an unknown path or method under ``/api/`` in JSON, in API words."""
    error = request.routing_exception
    if not request.path.startswith("/api/"):
        return None

    if isinstance(error, MethodNotAllowed):
        allowed = sorted(error.valid_methods or ())
        usable = [m for m in allowed if m not in ("HEAD", "OPTIONS")] or allowed
        response = render_error(
            PageError(
                f"{request.method} is not allowed on {request.path}; "
                f"use {' or '.join(usable)}.",
                title="Method not allowed",
                status=405,
            )
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    if isinstance(error, NotFound):
        return render_error(
            PageError(
                f"There is no API endpoint at {request.path}; "
                "/api/v1/openapi.json lists every endpoint.",
                title="Not found",
                status=404,
            )
        )
    return None


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API; reading it needs no token."""
    return jsonify(DOCUMENT)


@blueprint.get("/leads")
def list_leads() -> Response:
    """A page of the client's leads, oldest first, narrowed by the query."""
    query = _query(LIST_PARAMETERS)
    limit = _limit(query.get("limit"))

    rows, next_cursor = services().storage.list_leads(
        g.api_client, _filters(query), query.get("cursor"), limit
    )
    return jsonify({"leads": [_lead(row) for row in rows], "next_cursor": next_cursor})


@blueprint.get("/leads/export")
def export_leads() -> Response:
    """Every lead the filters select, as CSV (formulas neutralised) or JSONL."""
    query = _query(EXPORT_PARAMETERS)
    output = query.get("format")
    if output not in EXPORT_TYPES:
        wrong = "is required" if output is None else f"cannot be {shown(output)}"
        raise PageError(
            f"format {wrong}: use format=csv or format=jsonl.", title="Bad request"
        )

    client = g.api_client
    leads = services().storage.matching_leads(client, _filters(query))
    stream = io.StringIO()
    write_leads(leads, output, stream)
    response = Response(stream.getvalue(), mimetype=EXPORT_TYPES[output])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{client}-leads.{output}"'
    )
    return response


@blueprint.get("/leads/<lead_id>")
def lead_detail(lead_id: str) -> Response:
    """One lead with its submissions, profile history and outcomes."""
    _query(())
    found = services().storage.lead_detail(g.api_client, lead_id)
    if found is None:
        raise _no_such_lead(lead_id)

    detail = _lead(found)
    for key in ("submissions", "profile_history", "outcomes"):
        detail[key] = found[key]
    return jsonify({"lead": detail})


@blueprint.post("/leads/<lead_id>/outcome")
def record_outcome(lead_id: str) -> Response:
    """Record what sales reports for a lead: converted, disqualified or open."""
    _query(())
    body = _json_body()
    if not isinstance(body, dict):
        raise InvalidOutcome(
            "body", 'The body must be a JSON object such as {"status": "converted"}.'
        )
    unknown = sorted(set(body) - {"status", "reason"})
    if unknown:
        raise InvalidOutcome(
            unknown[0],
            f"{shown(unknown[0])} is not a field of an outcome; "
            "send status and, optionally, reason.",
        )
    if "status" not in body:
        raise InvalidOutcome(
            "status", "status is required: converted, disqualified or open."
        )

    storage = services().storage
    outcome = storage.record_outcome(
        g.api_client, lead_id, body["status"], body.get("reason")
    )
    lead = storage.lead(lead_id) if outcome else None
    if outcome is None or lead is None:
        raise _no_such_lead(lead_id)

    logger.info("Outcome %s recorded for lead %s", outcome["id"], lead_id)
    response = jsonify({"outcome": outcome, "lead": _lead(lead)})
    response.status_code = 201
    return response


def _lead(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in LEAD_FIELDS}


def _no_such_lead(lead_id: str) -> PageError:
    return PageError(
        f"There is no lead {shown(lead_id)} for this token's client.",
        title="Lead not found",
        status=404,
    )


def _query(allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, each known to this endpoint and given once."""
    for name in request.args:
        if name not in allowed:
            accepted = ", ".join(allowed) if allowed else "no query parameters"
            raise PageError(
                f"Unknown query parameter {shown(name)}; this endpoint "
                f"accepts {accepted}.",
                title="Bad request",
            )
        if len(request.args.getlist(name)) > 1:
            raise PageError(f"Give {name} only once.", title="Bad request")
    return request.args.to_dict()


def _filters(query: dict[str, str]) -> LeadFilters:
    given = {name: query[name] for name in FILTER_NAMES if name in query}
    tests = given.pop("include_tests", "false")
    if tests not in ("true", "false"):
        raise InvalidFilter(
            "include_tests",
            f"include_tests must be true or false, not {shown(tests)}.",
        )
    return LeadFilters(**given, include_tests=tests == "true")


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_PAGE_SIZE
    # A long run of digits is out of range anyway, and int() of thousands of
    # digits is refused by Python itself.
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise InvalidFilter(
            "limit",
            f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}, "
            f"not {shown(text)}.",
        )
    return int(text)


def _json_body() -> Any:
    """The request body parsed as JSON, or the error that says why it is not."""
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise PageError(
            f"The body is larger than the {request.max_content_length} bytes "
            "this server accepts.",
            title="Request too large",
            status=413,
        ) from None
    if not request.is_json:
        raise PageError(
            "Send the body as JSON, with the header Content-Type: application/json.",
            title="Unsupported media type",
            status=415,
        )
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise PageError(
            f"The body is not valid JSON: {error}.", title="Invalid JSON"
        ) from None
