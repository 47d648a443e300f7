"""The marketer's side: preview every form, its graph, conditions and tag.

Open with ``--debug``; otherwise every page needs ``?key=`` with the
``FORMSERVER_MARKETER_TOKEN`` (until the project has user accounts), and without
that setting the preview does not exist. Links keep the key, since the preview
uses no cookies either.

From the preview, each step on the path opens in a test run of the real form:
the answers before it are validated and stored in a partial response marked as
a test, so the run is kept out of leads, exports and hand-offs like every test.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from ..app import services
from ..checker import check_spec
from ..graph import svg
from ..preview import (
    UnreachableStep,
    answers_before,
    explain,
    posted_step,
    typed_value,
)
from ..spec import Spec
from ..tokens import State
from . import formstate
from .errors import PageError

blueprint = Blueprint("marketers", __name__, url_prefix="/preview")


@blueprint.before_request
def require_marketer() -> None:
    """Let only marketers in: debug mode, or the right key."""
    if current_app.debug:
        return
    expected = current_app.config["FORMSERVER_MARKETER_TOKEN"]
    given = request.args.get("key", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise PageError(
            "There is no page at this address.", title="Page not found", status=404
        )


def _link(endpoint: str, query: Mapping[str, str] | None = None, **values: Any) -> str:
    """The URL of a marketer page, with ``query`` and the key it was opened with."""
    params = dict(query or {})
    key = request.args.get("key")
    if key:
        params["key"] = key
    url = url_for(endpoint, **values)
    return f"{url}?{urlencode(params)}" if params else url


@blueprint.get("/")
def index() -> Response:
    """Every form under the specs folder, with its state."""
    catalog = services().catalog
    forms = [
        {
            "key": f"{client_id}/{form_id}",
            "url": _link("marketers.preview", client_id=client_id, form_id=form_id),
            "broken": bool(catalog.problems(client_id, form_id)),
            "live": catalog.spec(client_id, form_id) is not None,
        }
        for client_id, form_id in catalog.forms()
    ]
    return Response(render_template("marketers/index.html", forms=forms))


@blueprint.get("/<client_id>/<form_id>")
def preview(client_id: str, form_id: str) -> Response:
    """One form: set answers and profile, see the path, conditions and tag."""
    catalog = services().catalog
    spec = catalog.spec(client_id, form_id)
    if spec is None or catalog.client(client_id) is None:
        problems = catalog.problems(client_id, form_id)
        if not problems:
            raise PageError(
                "There is no such form.", title="Form not found", status=404
            )
        html = render_template(
            "marketers/broken.html", key=f"{client_id}/{form_id}", problems=problems
        )
        return Response(html, status=422)

    return _preview_page(spec)


@blueprint.get("/<client_id>/<form_id>/steps/<step_id>")
def open_step(client_id: str, form_id: str, step_id: str) -> BaseResponse:
    """Open ``step_id`` in a test run, the preview's answers given before it."""
    spec = services().catalog.spec(client_id, form_id)
    if spec is None or step_id not in spec.steps_by_id:
        raise PageError(
            "This form has no such step.", title="Step not found", status=404
        )

    typed, profile = _typed(spec), _profile()
    try:
        answers = answers_before(spec, typed, profile, step_id)
    except UnreachableStep as error:
        return _preview_page(spec, notice=str(error), status=422)
    # A plain link that stores a partial keeps the preview a page of links,
    # like "Try it as a prospect"; what it stores is a test and never counts.
    storage = services().storage
    partial = storage.new_partial(client_id, form_id, spec.version, {}, is_test=True)
    partial.answers = answers
    partial.drafts = {step_id: posted_step(spec.steps_by_id[step_id], typed, profile)}
    partial.step = step_id
    storage.save_partial(partial)

    state = State(client_id, form_id, spec.version, partial_id=partial.id, test=True)
    return formstate.redirect_to(partial, state, step=step_id)


def _preview_page(spec: Spec, notice: str = "", status: int = 200) -> Response:
    """The preview of ``spec`` for the answers and profile in the query."""
    client_id, form_id = spec.client, spec.form
    typed, profile = _typed(spec), _profile()
    explanation = explain(spec, _answers(spec, typed), profile)
    query = {**typed, **{f"profile.{k}": v for k, v in profile.items()}}
    test_token = services().tokens.sign_test(client_id, form_id)
    html = render_template(
        "marketers/preview.html",
        spec=spec,
        typed=typed,
        profile=profile,
        explanation=explanation,
        notice=notice,
        problems=services().catalog.problems(client_id, form_id),
        warnings=[p for p in check_spec(spec) if p.severity == "warning"],
        # The SVG is built by formserver.graph, which escapes every text in it.
        graph=Markup(svg(spec)),
        try_url=url_for(
            "prospects.show", client_id=client_id, form_id=form_id, test=test_token
        ),
        step_urls={
            step_id: _link(
                "marketers.open_step",
                query,
                client_id=client_id,
                form_id=form_id,
                step_id=step_id,
            )
            for step_id in explanation.path
        },
        key=request.args.get("key", ""),
        action=_link("marketers.preview", client_id=client_id, form_id=form_id),
    )
    return Response(html, status=status)


def _typed(spec: Spec) -> dict[str, str]:
    """The preview's answers as typed, by field id; blank ones left out."""
    return {
        field_id: request.args[field_id]
        for field_id in spec.fields_by_id
        if request.args.get(field_id, "").strip()
    }


def _profile() -> dict[str, str]:
    """The known profile set in the preview, by profile key."""
    return {
        key[len("profile.") :]: value
        for key, value in request.args.items()
        if key.startswith("profile.") and value.strip()
    }


def _answers(spec: Spec, typed: dict[str, str]) -> dict[str, Any]:
    fields = spec.fields_by_id
    return {
        field_id: typed_value(fields[field_id], text)
        for field_id, text in typed.items()
    }
