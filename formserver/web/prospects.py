"""The prospect's side: multi-step forms, rendered and validated on the server.

Every step is a page whose form posts back here; the form's state travels in a
signed token in the page, never in a cookie, and the answers so far live in a
partial response on the server. After each post the prospect is redirected to
a plain GET of their step, so reloading any page resumes it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.datastructures import MultiDict

from ..app import services
from ..catalog import Client
from ..engine import Flow, FlowError
from ..forms import FormData, clean_text, form_class
from ..logic import variables_in
from ..spec import Spec, Step, compile_spec
from ..storage import Completion, Partial
from ..tokens import State, TokenError
from . import recognition
from .errors import PageError
from .headers import allow_framing_by
from .recognition import Recognition

logger = logging.getLogger(__name__)

blueprint = Blueprint("prospects", __name__)

MAX_CAPTURED_LENGTH = 500

#: A field people never see and bots fill in. Its name cannot be a field id.
HONEYPOT = "Website"


@blueprint.get("/f/<client_id>/<form_id>")
def show(client_id: str, form_id: str) -> Response:
    """Start a form, or show the step a token points at."""
    client, spec = _form(client_id, form_id)
    token = request.args.get("t")
    if token is None:
        return _start(client, spec)

    state = _read(token, client_id, form_id)
    if state.partial_id is None:
        spec = _spec_version(client_id, form_id, state.version)
        known = recognition.profile_of(state.lead_id)
        flow = Flow(spec, captured=state.captured, profile=known)
        who = Recognition(state.lead_id, state.recognised_by)
        return _render_step(client, flow, _first(flow), state, who=who)

    partial = _partial(state, client_id, form_id)
    if partial.status == "complete":
        return _thank_you(client, partial, state)
    spec = _spec_version(client_id, form_id, partial.version)
    flow = _flow(spec, partial)
    wanted = request.args.get("step", "")
    step = _open_step(flow, wanted) or _first(flow)
    return _render_step(client, flow, step, state, partial=partial)


def _start(client: Client, spec: Spec) -> Response:
    """The first step of a fresh form, for a new or a recognised prospect."""
    captured = _captured(spec)
    host = _host_origin(client, request.args.get("host", ""))
    who = recognition.recognise(client.id, host)
    flow = Flow(spec, captured=captured, profile=recognition.profile_of(who.lead_id))
    state = State(
        client.id,
        spec.form,
        spec.version,
        captured=captured,
        host=host,
        lead_id=who.lead_id,
        recognised_by=who.how,
        test=services().tokens.is_test(
            request.args.get("test", ""), *spec.key.split("/")
        ),
    )
    response = _render_step(client, flow, _first(flow), state, who=who)
    if request.args.get("fresh"):
        recognition.forget(response, client.id)
    return response


@blueprint.post("/f/<client_id>/<form_id>")
def answer(client_id: str, form_id: str) -> Response:
    """Take the answers to one step, then go on, go back, or finish."""
    client, _ = _form(client_id, form_id)
    _check_rate(client_id, form_id)
    state = _read(request.form.get("_t", ""), client_id, form_id)
    spec = _spec_version(client_id, form_id, state.version)
    partial = _partial_for_post(state, spec)
    if partial.status == "complete":
        return _after_completion(partial, state)

    flow = _flow(spec, partial)
    step_id = request.form.get("_step", "")
    try:
        step = flow.step_for(step_id)
    except (FlowError, KeyError):
        logger.warning("Post for step not open to partial %s", partial.id)
        return _redirect_to(partial, state)

    typed = _typed(step)
    if request.form.get(HONEYPOT) and "honeypot" not in partial.flags:
        partial.flags.append("honeypot")
    if request.form.get("_action") == "back":
        return _go_back(flow, partial, step, typed, state)

    result = flow.submit(step.id, typed)
    if not result.ok:
        partial.drafts[step.id] = typed
        services().storage.save_partial(partial)
        return _render_step(client, flow, step, state, partial=partial, result=result)

    partial.answers[step.id] = result.values
    partial.drafts.pop(step.id, None)
    recognition.match_typed_email(partial, result.values)
    flow = _flow(spec, partial)
    if flow.complete:
        _complete(spec, flow, partial)
        return _after_completion(partial, state)

    partial.step = flow.current.id if flow.current else ""
    services().storage.save_partial(partial)
    return _redirect_to(partial, state)


def _form(client_id: str, form_id: str) -> tuple[Client, Spec]:
    found = services().catalog
    client = found.client(client_id)
    spec = found.spec(client_id, form_id) if client else None
    if client is None or spec is None:
        raise PageError(
            "There is no form at this address. Please check the link you followed.",
            title="Form not found",
            status=404,
        )
    allow_framing_by(client.embed_origins)
    return client, spec


def _read(token: str, client_id: str, form_id: str) -> State:
    try:
        state = services().tokens.read(token)
    except TokenError as error:
        logger.warning("Rejected form token for %s/%s: %s", client_id, form_id, error)
        raise _restart(client_id, form_id, expired=error.expired) from None
    if (state.client, state.form) != (client_id, form_id):
        raise _restart(client_id, form_id)
    return state


def _restart(client_id: str, form_id: str, expired: bool = False) -> PageError:
    if expired:
        message = (
            "This form was left open for a long time, so we could not keep your "
            "place. Please start again; it only takes a minute."
        )
    else:
        message = (
            "We could not pick up where you left off. Please start the form again."
        )
    return PageError(
        message,
        title="Please start again",
        status=400,
        restart_url=url_for("prospects.show", client_id=client_id, form_id=form_id),
    )


def _captured(spec: Spec) -> dict[str, str]:
    """The landing-URL values the spec keeps (utm_*, gclid, referrer …)."""
    captured = {}
    for name in spec.capture:
        value = request.args.get(name)
        if name == "referrer" and not value:
            value = request.args.get("ref") or request.referrer
        if value:
            captured[name] = clean_text(value)[:MAX_CAPTURED_LENGTH]
    return captured


def _spec_version(client_id: str, form_id: str, version: str) -> Spec:
    """The spec version a prospect started on, so they finish on it."""
    catalog = services().catalog
    spec = catalog.version(client_id, form_id, version)
    if spec is not None:
        return spec
    document = services().storage.spec_document(client_id, form_id, version)
    if document is None:
        current = catalog.spec(client_id, form_id)
        if current is None:
            raise _restart(client_id, form_id)
        return current
    spec = compile_spec(document, client=client_id, form=form_id, source=form_id)
    catalog.remember(spec)
    return spec


def _partial(state: State, client_id: str, form_id: str) -> Partial:
    partial = services().storage.partial(state.partial_id or "")
    if partial is None or (partial.client, partial.form) != (client_id, form_id):
        raise _restart(client_id, form_id)
    return partial


def _partial_for_post(state: State, spec: Spec) -> Partial:
    if state.partial_id is not None:
        return _partial(state, spec.client, spec.form)
    storage = services().storage
    storage.remember_spec(spec.client, spec.form, spec.version, spec.document)
    return storage.new_partial(
        spec.client,
        spec.form,
        spec.version,
        state.captured,
        lead_id=state.lead_id,
        recognised_by=state.recognised_by,
        rendered_at=state.rendered_at,
        is_test=state.test,
    )


def _check_rate(client_id: str, form_id: str) -> None:
    address = request.remote_addr or "unknown"
    verdict = services().limits.hit(address, f"{client_id}/{form_id}")
    if not verdict.allowed:
        logger.warning("Rate limit reached on %s/%s", client_id, form_id)
        raise PageError(
            "We received a lot of answers from you in a short time. Your answers so "
            "far are saved; please wait a moment and send this step again.",
            title="Please wait a moment",
            status=429,
            retry_after=verdict.retry_after,
        )


def _spam_reasons(partial: Partial) -> list[str]:
    """Why a completed form looks automated, if it does."""
    reasons = list(partial.flags)
    minimum = current_app.config["FORMSERVER_MIN_FILL_SECONDS"]
    if partial.rendered_at is not None:
        elapsed = time.time() - partial.rendered_at
        if elapsed < minimum:
            reasons.append(f"completed {elapsed:.1f}s after it was shown")
    return reasons


def _flow(spec: Spec, partial: Partial) -> Flow:
    known = recognition.profile_of(partial.lead_id)
    return Flow(spec, partial.answers, profile=known, captured=partial.captured)


def _first(flow: Flow) -> Step:
    return flow.current or flow.spec.first_step


def _open_step(flow: Flow, step_id: str) -> Step | None:
    try:
        return flow.step_for(step_id) if step_id else None
    except (FlowError, KeyError):
        return None


def _typed(step: Step) -> dict[str, list[str]]:
    """What was posted for ``step``'s own fields, and nothing else."""
    posted: MultiDict[str, str] = request.form
    return {f.id: posted.getlist(f.id) for f in step.fields if f.id in posted}


def _go_back(
    flow: Flow,
    partial: Partial,
    step: Step,
    typed: dict[str, list[str]],
    state: State,
) -> Response:
    partial.drafts[step.id] = typed
    asked = [s for s in flow.path if flow.fields_to_ask(flow.spec.steps_by_id[s])]
    earlier = asked[: asked.index(step.id)] if step.id in asked else asked
    target = earlier[-1] if earlier else step.id
    services().storage.save_partial(partial)
    return _redirect_to(partial, state, step=target)


def _complete(spec: Spec, flow: Flow, partial: Partial) -> None:
    tag = flow.tag().as_dict()
    answers = flow.collected()
    email = answers.get("email") if isinstance(answers.get("email"), str) else None
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


def _consent_text(spec: Spec, field_id: str) -> str:
    field_ = spec.fields_by_id[field_id]
    return field_.consent_text or field_.label


def _after_completion(partial: Partial, state: State) -> Response:
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
    return _redirect_to(partial, state)


def _tag_of(partial: Partial) -> dict[str, Any]:
    submission = services().storage.submission(partial.submission_id or "")
    tag: dict[str, Any] = (submission or {}).get("tag") or {}
    return tag


def _thank_you(client: Client, partial: Partial, state: State) -> Response:
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


def _redirect_to(partial: Partial, state: State, step: str | None = None) -> Response:
    signed = State(
        partial.client,
        partial.form,
        partial.version,
        partial_id=partial.id,
        host=state.host,
        test=partial.is_test,
    )
    query = {"t": services().tokens.sign(signed)}
    if step:
        query["step"] = step
    url = url_for("prospects.show", client_id=partial.client, form_id=partial.form)
    return redirect(f"{url}?{urlencode(query)}", code=303)


def _host_origin(client: Client, origin: str) -> str:
    """``origin`` when the client allows embedding there, else nothing."""
    return origin if origin_allowed(origin, client.embed_origins) else ""


def origin_allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    """Whether ``origin`` is one of ``allowed`` (``http://host:*`` for any port)."""
    if not origin or "/" in origin.split("://", 1)[-1]:
        return False
    for entry in allowed:
        if origin == entry:
            return True
        if entry.endswith(":*") and origin.startswith(entry[:-1]):
            port = origin[len(entry) - 1 :]
            if port.isdigit():
                return True
    return False


def _render_step(
    client: Client,
    flow: Flow,
    step: Step,
    state: State,
    partial: Partial | None = None,
    result: Any = None,
    who: Recognition | None = None,
) -> Response:
    if who is None:
        who = recognition.of_partial(partial) if partial else Recognition()
    shown = flow.fields_to_ask(step)
    ids = tuple(f.id for f in shown)
    if result is not None:
        form = result.form
    else:
        typed = _stored_as_typed(flow, step, partial)
        form = form_class(flow.spec, step.id, ids)(FormData(typed))
    planned = flow.planned_path()
    position = planned.index(step.id) + 1 if step.id in planned else len(planned)
    asked = [s for s in flow.path if s in planned]
    html = render_template(
        "prospects/step.html",
        client=client,
        spec=flow.spec,
        step=step,
        fields=shown,
        form=form,
        errors=result.errors if result is not None else {},
        token=services().tokens.sign(state),
        host=state.host,
        position=position,
        total=len(planned),
        can_go_back=bool(asked) and asked[0] != step.id,
        dynamic={
            f.id: json.dumps(f.visible_if) for f in shown if flow.is_dynamic(step, f)
        },
        context=json.dumps(_context(flow, step, shown)),
        recognised=who.trusted,
        known=recognition.known_values(flow.spec, dict(flow.profile))
        if who.trusted and position == 1
        else [],
        fresh_url=_fresh_url(flow.spec, state),
    )
    status = 422 if result is not None else 200
    return Response(html, status=status)


def _fresh_url(spec: Spec, state: State) -> str:
    """Where "not you?" leads: the form again, recognising nobody."""
    query = {"fresh": "1"}
    if state.host:
        query["host"] = state.host
    url = url_for("prospects.show", client_id=spec.client, form_id=spec.form)
    return f"{url}?{urlencode(query)}"


def _stored_as_typed(
    flow: Flow, step: Step, partial: Partial | None
) -> dict[str, list[str]]:
    if partial is None:
        return {}
    if step.id in partial.drafts:
        return partial.drafts[step.id]
    stored = partial.answers.get(step.id, {})
    typed: dict[str, list[str]] = {}
    for field_id, value in stored.items():
        if value is None or value is False:
            continue
        if isinstance(value, list):
            typed[field_id] = [str(v) for v in value]
        elif value is True:
            typed[field_id] = ["y"]
        else:
            typed[field_id] = [str(value)]
    return typed


def _context(flow: Flow, step: Step, shown: list[Any]) -> dict[str, Any]:
    """What the browser needs to decide ``visible_if`` within the step."""
    names: set[str] = set()
    for field_ in shown:
        if flow.is_dynamic(step, field_):
            names |= variables_in(field_.visible_if)
    own = {f.id for f in step.fields}
    before = (
        flow.data_before(step.id)
        if step.id in flow.path or step == flow.current
        else {}
    )
    return {name: before.get(name) for name in sorted(names - own)}


@blueprint.get("/c/<client_id>/theme.css")
def theme(client_id: str) -> Response:
    """The client's brand colour as a CSS variable (no inline styles under CSP)."""
    client = services().catalog.client(client_id)
    if client is None:
        raise PageError("There is no such client.", title="Not found", status=404)
    css = f":root {{ --fs-brand: {client.color}; }}\n"
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blueprint.get("/embed.js")
def embed_script() -> Response:
    """The snippet a marketer pastes into a client's page."""
    response = send_from_directory(current_app.static_folder or "", "js/embed.js")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
