"""The prospect's side: multi-step forms, rendered and validated on the server.

Every step is a page whose form posts back here; the form's state travels in a
signed token in the page, never in a cookie, and the answers so far live in a
partial response on the server. After each post the prospect is redirected to
a plain GET of their step, so reloading any page resumes it.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    current_app,
    request,
    send_from_directory,
)
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from ..app import services
from ..catalog import Client
from ..engine import Flow, FlowError
from ..spec import Spec, Step
from ..storage import Partial
from ..tokens import State
from . import completion, formstate, pages, recognition
from .errors import PageError
from .headers import allow_framing_by
from .recognition import Recognition
from .theme import theme_css

logger = logging.getLogger(__name__)


blueprint = Blueprint("prospects", __name__)

#: A field people never see and bots fill in. Its name cannot be a field id.
HONEYPOT = "Website"


@blueprint.get("/f/<client_id>/<form_id>")
def show(client_id: str, form_id: str) -> Response:
    """Start a form, or show the step a token points at."""
    client, spec = _form(client_id, form_id)
    token = request.args.get("t")
    if token is None:
        return _start(client, spec)

    state = formstate.read_token(token, client_id, form_id)
    if state.partial_id is None:
        spec = formstate.spec_version(client_id, form_id, state.version)
        known = recognition.profile_of(state.lead_id)
        flow = Flow(spec, captured=state.captured, profile=known)
        who = Recognition(state.lead_id, state.recognised_by)
        return pages.render_step(client, flow, _first(flow), state, who=who)

    partial = formstate.load_partial(state, client_id, form_id)
    if partial.status == "complete":
        return completion.thank_you(client, partial, state)
    spec = formstate.spec_version(client_id, form_id, partial.version)
    flow = _flow(spec, partial)
    wanted = request.args.get("step", "")
    step = _open_step(flow, wanted) or _first(flow)
    return pages.render_step(client, flow, step, state, partial=partial)


def _start(client: Client, spec: Spec) -> Response:
    """The first step of a fresh form, for a new or a recognised prospect."""
    captured = formstate.captured_values(spec)
    host = formstate.host_origin(client, request.args.get("host", ""))
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
        reserved_id=formstate.reserve_partial_id(),
    )
    if who.lead_id is None:
        response = pages.render_first_step(client, flow, state)
    else:
        response = pages.render_step(client, flow, _first(flow), state, who=who)
    if request.args.get("fresh"):
        recognition.forget(response, client.id)
    return response


@blueprint.post("/f/<client_id>/<form_id>")
def answer(client_id: str, form_id: str) -> BaseResponse:
    """Take the answers to one step, then go on, go back, or finish."""
    client, _ = _form(client_id, form_id)
    formstate.check_rate(client_id, form_id)
    state = formstate.read_token(request.form.get("_t", ""), client_id, form_id)
    spec = formstate.spec_version(client_id, form_id, state.version)
    step_id = _posted_step_id(spec)
    partial = formstate.partial_for_post(state, spec)
    if partial.status == "complete":
        return completion.after_completion(partial, state)

    flow = _flow(spec, partial)
    try:
        step = flow.step_for(step_id)
    except FlowError:
        logger.warning("Post for step not open to partial %s", partial.id)
        services().storage.save_partial(partial)
        return formstate.redirect_to(partial, state)

    typed = _typed(step)
    if request.form.get(HONEYPOT) and "honeypot" not in partial.flags:
        partial.flags.append("honeypot")
    if request.form.get("_action") == "back":
        return _go_back(flow, partial, step, typed, state)

    result = flow.submit(step.id, typed)
    if not result.ok:
        partial.drafts[step.id] = typed
        services().storage.save_partial(partial)
        return pages.render_step(
            client, flow, step, state, partial=partial, result=result
        )

    partial.answers[step.id] = result.values
    partial.drafts.pop(step.id, None)
    recognition.match_typed_email(partial, result.values)
    flow = _flow(spec, partial)
    if flow.complete:
        completion.complete(spec, flow, partial)
        return completion.after_completion(partial, state)

    partial.step = flow.current.id if flow.current else ""
    services().storage.save_partial(partial)
    return formstate.redirect_to(partial, state)


def _posted_step_id(spec: Spec) -> str:
    """The step a post answers; one the spec does not have is refused.

    No page of the form names such a step, so the post is refused before a
    partial response is made or touched for it.
    """
    step_id = request.form.get("_step", "")
    if step_id not in spec.steps_by_id:
        logger.warning("Refused a post for an unknown step of %s", spec.key)
        raise formstate.restart(spec.client, spec.form)
    return step_id


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
) -> BaseResponse:
    partial.drafts[step.id] = typed
    asked = [s for s in flow.path if flow.fields_to_ask(flow.spec.steps_by_id[s])]
    earlier = asked[: asked.index(step.id)] if step.id in asked else asked
    target = earlier[-1] if earlier else step.id
    services().storage.save_partial(partial)
    return formstate.redirect_to(partial, state, step=target)


@blueprint.get("/c/<client_id>/theme.css")
def theme(client_id: str) -> Response:
    """The client's brand colours as CSS variables (no inline styles under CSP)."""
    client = services().catalog.client(client_id)
    if client is None:
        raise PageError("There is no such client.", title="Not found", status=404)
    response = Response(theme_css(client.color), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blueprint.get("/embed.js")
def embed_script() -> Response:
    """The snippet a marketer pastes into a client's page."""
    response = send_from_directory(current_app.static_folder or "", "js/embed.js")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
