"""Settings: every ``FORMSERVER_*`` key with its default and one line of help."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    help: str
    kind: type = str


SETTINGS = (
    Setting(
        "FORMSERVER_SPECS", "form_specs", "Folder of client folders with form specs."
    ),
    Setting("FORMSERVER_DB", "formserver.db", "Path of the SQLite database."),
    Setting(
        "FORMSERVER_SECRET_KEY",
        "",
        "Key that signs form tokens; required outside --debug and tests.",
    ),
    Setting(
        "FORMSERVER_TOKEN_MAX_AGE",
        7 * 24 * 3600,
        "Seconds a form in progress stays resumable after its last page.",
        int,
    ),
    Setting(
        "FORMSERVER_LEAD_MAX_AGE",
        365 * 24 * 3600,
        "Seconds a lead link or remembered lead token recognises a returning lead.",
        int,
    ),
    Setting(
        "FORMSERVER_RATE_LIMIT_ADDRESS",
        "60/minute",
        "Step answers one address may send (limits syntax; empty: no limit).",
    ),
    Setting(
        "FORMSERVER_RATE_LIMIT_FORM",
        "1200/minute",
        "Step answers one form may take from everyone (empty: no limit).",
    ),
    Setting(
        "FORMSERVER_MIN_FILL_SECONDS",
        2.0,
        "A form completed faster than this after it was shown is flagged as spam.",
        float,
    ),
    Setting(
        "FORMSERVER_PROXY_COUNT",
        0,
        "Reverse proxies in front of the server whose X-Forwarded-For to trust.",
        int,
    ),
    Setting(
        "FORMSERVER_MARKETER_TOKEN",
        "",
        "Opens the preview pages (?key=…) outside --debug; empty: preview off.",
    ),
    Setting(
        "FORMSERVER_PUBLIC_URL",
        "",
        "Public base URL of this server, used in printed links.",
    ),
    Setting(
        "FORMSERVER_MAX_REQUEST_BYTES",
        256 * 1024,
        "Largest request body accepted; larger ones get a friendly 413 page.",
        int,
    ),
)


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings found in ``environ`` (default: ``os.environ``), converted."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.key not in environ:
            continue
        raw = environ[setting.key]
        try:
            found[setting.key] = setting.kind(raw)
        except ValueError:
            raise ValueError(
                f"{setting.key} must be {setting.kind.__name__}, not {raw!r}"
            ) from None
    return found


def defaults() -> dict[str, Any]:
    """Every setting at its default."""
    return {setting.key: setting.default for setting in SETTINGS}
