"""Rendering a step page: its fields, values, progress and browser rules.

The first step of a form is the same for every new prospect but for the token,
so it is rendered once per spec version and client and reused with a fresh
token; everything else is rendered for the request.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import urlencode

from flask import (
    Response,
    render_template,
    url_for,
)

from ..app import services
from ..catalog import Client
from ..engine import Flow
from ..forms import FormData, form_class
from ..logic import variables_in
from ..qualification import assign_segment
from ..spec import Spec, Step
from ..storage import Partial
from ..tokens import State
from . import recognition
from .recognition import Recognition

logger = logging.getLogger(__name__)


#: Stands in for the token in a cached first page.
_TOKEN_SLOT = "fs-token-slot-0c1d"
_FIRST_PAGES: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_FIRST_PAGES_LIMIT = 512
_first_pages_lock = threading.Lock()


def render_first_step(client: Client, flow: Flow, state: State) -> Response:
    """The first step for a new, unrecognised prospect, from the cache if it can.

    The page differs between prospects only by its token, as long as the spec
    version, the client's branding, the embedding host and the captured values
    are the same, so it is rendered once per such key and the token swapped in.
    Each token reserves its own partial response id, so no two prospects
    served from the cache share one.
    """
    key = (
        client.id,
        client.name,
        client.color,
        client.logo,
        flow.spec.version,
        state.host,
        json.dumps(flow.captured, sort_keys=True),
    )
    with _first_pages_lock:
        page = _FIRST_PAGES.get(key)
        if page is not None:
            _FIRST_PAGES.move_to_end(key)
    if page is None:
        step = flow.current or flow.spec.first_step
        rendered = render_step(client, flow, step, state, token=_TOKEN_SLOT)
        page = rendered.get_data(as_text=True)
        with _first_pages_lock:
            _FIRST_PAGES[key] = page
            if len(_FIRST_PAGES) > _FIRST_PAGES_LIMIT:
                _FIRST_PAGES.popitem(last=False)
    return Response(page.replace(_TOKEN_SLOT, services().tokens.sign(state)))


def render_step(
    client: Client,
    flow: Flow,
    step: Step,
    state: State,
    partial: Partial | None = None,
    result: Any = None,
    who: Recognition | None = None,
    token: str | None = None,
) -> Response:
    """A step page with its fields, values, errors, progress and token."""
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
        token=token or services().tokens.sign(state),
        host=state.host,
        position=position,
        total=len(planned),
        can_go_back=bool(asked) and asked[0] != step.id,
        **_browser_rules(flow, step, shown, who.trusted),
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


def _browser_rules(
    flow: Flow, step: Step, shown: list[Any], trusted: bool
) -> dict[str, Any]:
    """The ``visible_if`` rules the browser applies within the step, and its data.

    A rule that reads a value the page may not be told is left out: its field
    stays shown, and the server decides when the step is sent.
    """
    before, withheld = _data_before(flow, step, trusted)
    rules = {
        f.id: f.visible_if
        for f in shown
        if flow.is_dynamic(step, f) and not variables_in(f.visible_if) & withheld
    }
    names = set().union(*map(variables_in, rules.values()))
    names -= {f.id for f in step.fields}
    return {
        "dynamic": {field_id: json.dumps(rule) for field_id, rule in rules.items()},
        "context": json.dumps({name: before.get(name) for name in sorted(names)}),
    }


def _data_before(
    flow: Flow, step: Step, trusted: bool
) -> tuple[dict[str, Any], set[str]]:
    """The data as ``step`` was reached, and the names whose values are withheld.

    A prospect matched by a typed email skips the questions the lead's profile
    answers, but only a signed token may reveal those values: the page gets
    the prospect's own earlier answers and the captured values, and a name
    whose value the profile changes (the segment too) is withheld.
    """
    if step.id not in flow.path and step != flow.current:
        return {}, set()
    data = flow.data_before(step.id)
    if trusted or not flow.profile:
        return data, set()

    path = flow.path
    earlier = path[: path.index(step.id)] if step.id in path else path
    spec = flow.spec
    answered = {f for f in flow.collected() if spec.step_of_field[f] in earlier}
    asked = {f.id for f in spec.fields_by_id.values() if f.type != "hidden"}
    unknown = asked - answered - set(flow.captured)
    kept = {k: None if k in unknown else v for k, v in data.items()}
    kept["segment"] = None
    segment = assign_segment(spec, kept)
    kept["segment"] = segment.id if segment else None
    withheld = {name for name, value in data.items() if kept[name] != value}
    return kept, withheld
