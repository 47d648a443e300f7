"""Security headers on every response, and who may frame which page.

Form pages may be framed by the embed origins of their client (the
``frame-ancestors`` of their Content-Security-Policy) and send no
``X-Frame-Options``; the forms of a client without embed origins, and every
other page, refuse to be framed.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, g

_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: "
    "data:; connect-src 'self'; form-action 'self' https:; base-uri 'none'"
)


def allow_framing_by(origins: Iterable[str]) -> None:
    """Let the current response be framed by ``origins`` (none: not at all)."""
    g.frame_ancestors = tuple(origins)


def register(app: Flask) -> None:
    """Add the security headers to every response of ``app``."""
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    origins = g.get("frame_ancestors")
    # X-Frame-Options cannot name a client's origins, and a browser that obeys
    # it before frame-ancestors would refuse them: form pages never send it.
    if origins is None:
        response.headers["X-Frame-Options"] = "DENY"
    ancestors = " ".join(("'self'", *origins)) if origins else "'none'"
    response.headers["Content-Security-Policy"] = (
        f"{_POLICY}; frame-ancestors {ancestors}"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", "no-store")
    return response
