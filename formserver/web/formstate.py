"""A prospect's form across requests: tokens, partial responses, redirects.

No cookies carry the state of a form: a signed token in each page names the
partial response on the server, and every answer is followed by a redirect to
a plain GET of the next step, signed afresh.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from urllib.parse import urlencode

from flask import (
    redirect,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from ..app import services
from ..catalog import Client
from ..fieldtypes import clean_text
from ..spec import Spec
from ..specfile import compile_spec
from ..storage import Partial, new_id
from ..tokens import State, TokenError
from .errors import PageError

logger = logging.getLogger(__name__)

MAX_CAPTURED_LENGTH = 500


def read_token(token: str, client_id: str, form_id: str) -> State:
    try:
        state = services().tokens.read(token)
    except TokenError as error:
        logger.warning("Rejected form token for %s/%s: %s", client_id, form_id, error)
        raise restart(client_id, form_id, expired=error.expired) from None
    if (state.client, state.form) != (client_id, form_id):
        raise restart(client_id, form_id)
    return state


def restart(client_id: str, form_id: str, expired: bool = False) -> PageError:
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


def captured_values(spec: Spec) -> dict[str, str]:
    """The landing-URL values the spec keeps (utm_*, gclid, referrer …)."""
    captured = {}
    for name in spec.capture:
        value = request.args.get(name)
        if name == "referrer" and not value:
            value = request.args.get("ref") or _referer_header()
        if value:
            captured[name] = clean_text(value)[:MAX_CAPTURED_LENGTH]
    return captured


def _referer_header() -> str | None:
    """The Referer header, unless the form is embedded.

    Inside the embed snippet's iframe the header names the host page itself,
    not the page that sent the prospect there; embed.js passes that one as the
    ``referrer`` parameter when the browser lets it know it.
    """
    if request.args.get("host"):
        return None
    return request.referrer


def spec_version(client_id: str, form_id: str, version: str) -> Spec:
    """The spec version a prospect started on, so they finish on it."""
    catalog = services().catalog
    spec = catalog.version(client_id, form_id, version)
    if spec is not None:
        return spec
    document = services().storage.spec_document(client_id, form_id, version)
    if document is None:
        current = catalog.spec(client_id, form_id)
        if current is None:
            raise restart(client_id, form_id)
        return current
    spec = compile_spec(document, client=client_id, form=form_id, source=form_id)
    catalog.remember(spec)
    return spec


def load_partial(state: State, client_id: str, form_id: str) -> Partial:
    partial = services().storage.partial(state.partial_id or "")
    return _of_form(partial, client_id, form_id)


def _of_form(partial: Partial | None, client_id: str, form_id: str) -> Partial:
    if partial is None or (partial.client, partial.form) != (client_id, form_id):
        raise restart(client_id, form_id)
    return partial


def reserve_partial_id() -> str:
    """A fresh id for the partial response a first step page's answer creates."""
    return new_id("prt")


def partial_for_post(state: State, spec: Spec) -> Partial:
    """The partial response a post belongs to, new on a first answer.

    A first answer sent twice (a double click, a resend after a timeout)
    finds the partial the first one created under the id its page reserved.
    """
    if state.partial_id is not None:
        return load_partial(state, spec.client, spec.form)
    storage = services().storage
    reserved = storage.partial(state.reserved_id) if state.reserved_id else None
    if reserved is not None:
        return _of_form(reserved, spec.client, spec.form)

    partial = storage.new_partial(
        spec.client,
        spec.form,
        spec.version,
        state.captured,
        lead_id=state.lead_id,
        recognised_by=state.recognised_by,
        rendered_at=state.rendered_at,
        is_test=state.test,
    )
    return replace(partial, id=state.reserved_id) if state.reserved_id else partial


def check_rate(client_id: str, form_id: str) -> None:
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


def redirect_to(partial: Partial, state: State, step: str | None = None) -> Response:
    """A 303 to the GET of the prospect's step, with a freshly signed token."""
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
    # Built by hand: this runs after every answer, and url_for costs as much as
    # the rest of the redirect.
    url = f"{request.script_root}/f/{partial.client}/{partial.form}"
    return redirect(f"{url}?{urlencode(query)}", code=303)


def host_origin(client: Client, origin: str) -> str:
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
