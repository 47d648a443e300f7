"""Recognising a returning lead without third-party cookies.

A prospect is recognised by a signed lead token, which reaches the form in one
of three ways: a lead link from a nurture email (``?lead=``), the embed snippet
handing over the token it kept in the host page's own storage after an earlier
submission (also ``?lead=``, with ``host``), or a first-party cookie set after a
direct visit. Only a signed token lets the form show what is already known. A
typed email that matches a known lead lets the form skip questions it already
has answers to, but shows and prefills nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from flask import request
from werkzeug.wrappers import Response

from ..app import services
from ..profiling import Known
from ..spec import Spec
from ..storage import Partial

#: How each kind of recognition is recorded on the partial response.
BY_TOKEN = ("link", "embed", "cookie")


@dataclass(frozen=True)
class Recognition:
    """Who the prospect is taken to be, and how we know."""

    lead_id: str | None = None
    how: str | None = None

    @property
    def trusted(self) -> bool:
        """Whether a signed token proved it, so known values may be shown."""
        return self.how in BY_TOKEN


def cookie_name(client_id: str) -> str:
    return f"fs_lead_{client_id.replace('-', '_')}"


def recognise(client_id: str, host: str) -> Recognition:
    """The lead a start request names by token or first-party cookie, if any."""
    if request.args.get("fresh"):
        return Recognition()
    token = request.args.get("lead", "")
    how = "embed" if host else "link"
    if not token:
        token, how = request.cookies.get(cookie_name(client_id), ""), "cookie"
    lead_id = services().tokens.read_lead(token, client_id)
    if lead_id is None:
        return Recognition()
    lead = services().storage.lead(lead_id)
    if lead is None or lead["client"] != client_id:
        return Recognition()
    return Recognition(lead_id, how)


def of_partial(partial: Partial) -> Recognition:
    return Recognition(partial.lead_id, partial.recognised_by)


def profile_of(lead_id: str | None) -> dict[str, Known]:
    """The lead's known profile as the flow engine reads it."""
    if not lead_id:
        return {}
    known = services().storage.known_profile(lead_id)
    return {
        key: Known(value, datetime.datetime.fromisoformat(learned_at))
        for key, (value, learned_at) in known.items()
    }


def match_typed_email(partial: Partial, values: dict[str, Any]) -> None:
    """Attach a partial to the lead whose email the prospect just typed."""
    if partial.lead_id:
        return
    for value in values.values():
        if isinstance(value, str) and "@" in value:
            lead = services().storage.lead_by_email(partial.client, value)
            if lead is not None:
                partial.lead_id = lead["id"]
                partial.recognised_by = "email"
                return


def known_values(spec: Spec, profile: dict[str, Known]) -> list[tuple[str, str]]:
    """(label, answer) of every question this form will skip as already known."""
    shown = []
    for field in spec.fields_by_id.values():
        known = profile.get(field.profile_key)
        if not field.ask_once or known is None or field.type == "hidden":
            continue
        shown.append((field.label, _display(field, known.value)))
    return shown


def _display(field: Any, value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(field.option_label(str(v)) for v in value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return f"{value:,}"
    return field.option_label(str(value))


def remember(response: Response, client_id: str, lead_token: str) -> None:
    """Keep a direct visitor's lead token in a first-party cookie."""
    response.set_cookie(
        cookie_name(client_id),
        lead_token,
        max_age=services().tokens.lead_max_age,
        path=f"/f/{client_id}/",
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )


def forget(response: Response, client_id: str) -> None:
    """Drop the first-party cookie of a prospect who said "not me"."""
    response.delete_cookie(cookie_name(client_id), path=f"/f/{client_id}/")
