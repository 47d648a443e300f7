"""The end of a form: the tagged submission, the thank-you page, the hand-off."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import (
    Response,
    current_app,
    redirect,
    render_template,
)
from werkzeug.wrappers import Response as BaseResponse

from ..app import services
from ..catalog import Client
from ..engine import Flow
from ..spec import Spec
from ..storage import Completion, Partial
from ..tokens import State
from . import formstate, recognition

logger = logging.getLogger(__name__)


def _spam_reasons(partial: Partial) -> list[str]:
    """Why a completed form looks automated, if it does."""
    reasons = list(partial.flags)
    minimum = current_app.config["FORMSERVER_MIN_FILL_SECONDS"]
    if partial.rendered_at is not None:
        elapsed = time.time() - partial.rendered_at
        if elapsed < minimum:
            reasons.append(f"completed {elapsed:.1f}s after it was shown")
    return reasons


def complete(spec: Spec, flow: Flow, partial: Partial) -> None:
    tag = flow.tag().as_dict()
    answers = flow.collected()
    email = lead_email(spec, answers)
    sources = {spec.fields_by_id[f].profile_key: spec.step_of_field[f] for f in answers}
    completion = Completion(
        client=spec.client,
        form=spec.form,
        version=spec.version,
        email=email,
        answers=answers,
        profile=flow.profile_updates(),
        tag=tag,
        captured=partial.captured,
        path=flow.path,
        sources=sources,
        consents=[
            {"field": f, "text": _consent_text(spec, f), "agreed": answers[f]}
            for f in answers
            if spec.fields_by_id[f].type == "consent"
        ],
        spam_reasons=_spam_reasons(partial),
        is_test=partial.is_test,
    )
    services().storage.complete(partial, completion)
    logger.info(
        "Submission %s for %s/%s tagged %s",
        partial.submission_id,
        spec.client,
        spec.form,
        tag["tier"],
    )


def lead_email(spec: Spec, answers: dict[str, Any]) -> str | None:
    """The lead's key: the answer to the first email-typed field of lead_fields.

    None when the spec has no such lead field, or it went unanswered.
    """
    for name in spec.lead_fields:
        field_ = spec.fields_by_id.get(name)
        if field_ is not None and field_.type == "email":
            value = answers.get(name)
            return value if isinstance(value, str) else None
    return None


def _consent_text(spec: Spec, field_id: str) -> str:
    field_ = spec.fields_by_id[field_id]
    return field_.consent_text or field_.label


def after_completion(partial: Partial, state: State) -> BaseResponse:
    """Send a finished prospect on: to the route's redirect, or to thank-you.

    Inside the embed snippet the frame stays on the thank-you page, which tells
    the host page about the submission and offers the route's link there.
    """
    tag = _tag_of(partial)
    route = tag.get("route") or {}
    if route.get("redirect") and not state.host:
        response = redirect(route["redirect"], code=303)
        if partial.lead_id:
            token = services().tokens.sign_lead(partial.client, partial.lead_id)
            recognition.remember(response, partial.client, token)
        return response
    return formstate.redirect_to(partial, state)


def _tag_of(partial: Partial) -> dict[str, Any]:
    submission = services().storage.submission(partial.submission_id or "")
    tag: dict[str, Any] = (submission or {}).get("tag") or {}
    return tag


def thank_you(client: Client, partial: Partial, state: State) -> Response:
    tag = _tag_of(partial)
    route = tag.get("route") or {}
    spec = services().catalog.spec(partial.client, partial.form)
    event = {
        "event": "submit",
        "segment": tag.get("segment"),
        "tier": tag.get("tier"),
        "route": route.get("track"),
        "redirect": route.get("redirect"),
    }
    lead_token = services().tokens.sign_lead(client.id, partial.lead_id or "")
    if state.host and partial.lead_id:
        event["lead_token"] = lead_token
    html = render_template(
        "prospects/thanks.html",
        client=client,
        title=spec.title if spec else client.name,
        route=route,
        host=state.host,
        event=json.dumps(event),
    )
    response = Response(html)
    if not state.host and partial.lead_id:
        recognition.remember(response, client.id, lead_token)
    return response
