"""The marketer's side: preview every form, its graph, conditions and tag.

Open with ``--debug``; otherwise every page needs ``?key=`` with the
``FORMSERVER_MARKETER_TOKEN`` (until the project has user accounts), and without
that setting the preview does not exist. Links keep the key, since the preview
uses no cookies either.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import Markup

from ..app import services
from ..checker import check_spec
from ..graph import svg
from ..preview import explain, typed_value
from ..spec import Spec
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


def _link(endpoint: str, **values: Any) -> str:
    key = request.args.get("key")
    if key:
        values["key"] = key
    return url_for(endpoint, **values)


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
    problems = catalog.problems(client_id, form_id)
    if spec is None:
        if not problems:
            raise PageError(
                "There is no such form.", title="Form not found", status=404
            )
        html = render_template(
            "marketers/broken.html", key=f"{client_id}/{form_id}", problems=problems
        )
        return Response(html, status=422)

    values = _answers(spec)
    profile = {
        key[len("profile.") :]: value
        for key, value in request.args.items()
        if key.startswith("profile.") and value.strip()
    }
    explanation = explain(spec, values, profile)
    test_token = services().tokens.sign_test(client_id, form_id)
    html = render_template(
        "marketers/preview.html",
        spec=spec,
        typed={f: request.args.get(f, "") for f in spec.fields_by_id},
        profile=profile,
        explanation=explanation,
        problems=problems,
        warnings=[p for p in check_spec(spec) if p.severity == "warning"],
        # The SVG is built by formserver.graph, which escapes every text in it.
        graph=Markup(svg(spec)),
        try_url=url_for(
            "prospects.show", client_id=client_id, form_id=form_id, test=test_token
        ),
        key=request.args.get("key", ""),
        action=_link("marketers.preview", client_id=client_id, form_id=form_id),
    )
    return Response(html)


def _answers(spec: Spec) -> dict[str, Any]:
    values = {}
    for field_id, field_ in spec.fields_by_id.items():
        typed = request.args.get(field_id, "")
        if typed.strip():
            values[field_id] = typed_value(field_, typed)
    return values
