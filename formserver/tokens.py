"""Signed, expiring tokens that carry a form in progress without cookies.

Browsers block third-party cookies inside iframes, so the state of a form travels
in the page itself: a token signed with the server's secret that names the
partial response (or, before the first answer, the spec version, the values
captured from the landing URL and the id reserved for the partial response the
first answer creates) and the time the page was rendered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "formserver.state.v1"
LEAD_SALT = "formserver.lead.v1"
TEST_SALT = "formserver.test.v1"
TEST_MAX_AGE = 24 * 3600


class TokenError(ValueError):
    """A token that was tampered with, malformed or expired."""

    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class State:
    """What a form page's token says about the prospect's form.

    ``reserved_id`` is the id the first answer gives the partial response it
    creates, so that sending that answer twice finds the one partial.
    """

    client: str
    form: str
    version: str
    partial_id: str | None = None
    captured: dict[str, str] = field(default_factory=dict)
    rendered_at: float = 0.0
    host: str = ""
    lead_id: str | None = None
    recognised_by: str | None = None
    test: bool = False
    reserved_id: str | None = None


class Tokens:
    """Signs and reads form-state tokens with one secret key."""

    def __init__(self, secret_key: str, max_age: int, lead_max_age: int = 0) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
        self._leads = URLSafeTimedSerializer(secret_key, salt=LEAD_SALT)
        self._tests = URLSafeTimedSerializer(secret_key, salt=TEST_SALT)
        self.max_age = max_age
        self.lead_max_age = lead_max_age or 365 * 24 * 3600

    def sign_lead(self, client: str, lead_id: str) -> str:
        """A long-lived token that recognises one lead of one client."""
        return self._leads.dumps({"c": client, "l": lead_id})

    def sign_test(self, client: str, form: str) -> str:
        """A token that marks a run through a form as a marketer's test."""
        return self._tests.dumps([client, form])

    def is_test(self, token: str, client: str, form: str) -> bool:
        """Whether ``token`` is a valid test token for this form."""
        if not token or len(token) > 512:
            return False
        try:
            return bool(
                self._tests.loads(token, max_age=TEST_MAX_AGE) == [client, form]
            )
        except BadSignature:
            return False

    def read_lead(self, token: str, client: str) -> str | None:
        """The lead a lead token names for ``client``, or None if untrusted."""
        if not token or len(token) > 1024:
            return None
        try:
            payload = self._leads.loads(token, max_age=self.lead_max_age)
        except BadSignature:
            return None
        if not isinstance(payload, dict) or payload.get("c") != client:
            return None
        lead_id = payload.get("l")
        return lead_id if isinstance(lead_id, str) else None

    def sign(self, state: State) -> str:
        payload: dict[str, Any] = {
            "c": state.client,
            "f": state.form,
            "v": state.version,
            "r": round(time.time(), 3),
        }
        if state.host:
            payload["h"] = state.host
        if state.test:
            payload["x"] = 1
        if state.lead_id:
            payload["l"] = state.lead_id
            payload["b"] = state.recognised_by or ""
        if state.partial_id:
            payload["p"] = state.partial_id
        else:
            payload["u"] = state.captured
            if state.reserved_id:
                payload["n"] = state.reserved_id
        return self._serializer.dumps(payload)

    def read(self, token: str) -> State:
        """The state in ``token``; raise :class:`TokenError` if it cannot be trusted."""
        if not token or len(token) > 4096:
            raise TokenError("The form token is missing.")
        try:
            payload = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise TokenError("The form token has expired.", expired=True) from None
        except BadSignature:
            raise TokenError("The form token is not valid.") from None
        if not isinstance(payload, dict) or not _well_formed(payload):
            raise TokenError("The form token is not valid.")
        return State(
            client=payload["c"],
            form=payload["f"],
            version=payload["v"],
            partial_id=payload.get("p"),
            captured=payload.get("u", {}),
            rendered_at=float(payload.get("r", 0)),
            host=payload.get("h", ""),
            lead_id=payload.get("l"),
            recognised_by=payload.get("b") or None,
            test=bool(payload.get("x")),
            reserved_id=payload.get("n") or None,
        )


def _well_formed(payload: dict[str, Any]) -> bool:
    texts = all(isinstance(payload.get(k), str) for k in ("c", "f", "v"))
    captured = payload.get("u", {})
    return (
        texts
        and isinstance(payload.get("p", ""), str)
        and isinstance(payload.get("n", ""), str)
        and isinstance(payload.get("h", ""), str)
        and isinstance(payload.get("l", ""), str)
        and isinstance(payload.get("b", ""), str)
        and isinstance(captured, dict)
        and all(isinstance(v, str) for v in captured.values())
        and isinstance(payload.get("r", 0), int | float)
    )
