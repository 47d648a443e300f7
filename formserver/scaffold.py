"""Starter files for a new form: ``formserver init CLIENT FORM``.

The starter is small but complete, so that a marketer edits a working form
rather than a blank page: a first step that chooses between two segments, one
step of its own per segment, a contact step with email and consent, scoring,
tiers and a route per tier, and a scenario per segment that passes.
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from .catalog import CLIENT_FILE, TESTS_SUFFIX, load_client
from .problems import SpecError

#: Client and form ids, as the spec schema allows them.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class ScaffoldError(ValueError):
    """The starter files cannot be written; the message says why."""


def init_form(specs_dir: Path | str, client: str, form: str) -> list[Path]:
    """Write a starter form ``form`` for ``client`` under ``specs_dir``.

    Writes ``client.json`` when the client has none, then ``<form>.json`` and
    ``<form>.tests.json``; returns the paths written. Raises
    :class:`ScaffoldError` for a bad id, when the form's files exist, or when
    the client's existing ``client.json`` is broken.
    """
    _check_id(client, "client")
    _check_id(form, "form")
    if form == Path(CLIENT_FILE).stem:
        raise ScaffoldError(
            f"'{form}' cannot be a form id: {CLIENT_FILE} holds the client's "
            "settings; choose another form id"
        )
    folder = Path(specs_dir) / client
    spec_path = folder / f"{form}.json"
    tests_path = folder / f"{form}{TESTS_SUFFIX}"
    for path in (spec_path, tests_path):
        if path.exists():
            raise ScaffoldError(
                f"{path} already exists; choose another form id, or move the "
                "file away first"
            )

    client_path = folder / CLIENT_FILE
    name = _client_name(client_path, client)

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if not client_path.exists():
        _write(client_path, starter_client(client, _schema_ref(folder, "client")))
        written.append(client_path)
    _write(spec_path, starter_spec(name, _schema_ref(folder, "spec")))
    _write(tests_path, starter_scenarios())
    return [*written, spec_path, tests_path]


def _check_id(value: str, kind: str) -> None:
    if not ID_PATTERN.match(value):
        raise ScaffoldError(
            f"'{value}' is not a valid {kind} id; use up to 64 lower-case letters, "
            "digits, '-' and '_', starting with a letter (for example "
            f"{'acme-realty' if kind == 'client' else 'demo-request'})"
        )


def _client_name(path: Path, client: str) -> str:
    """The client's name from its file, or one made from its id when it has none.

    A broken client file stops the scaffold: a starter beside it would fail
    ``formserver check`` however right the starter itself is.
    """
    if not path.exists():
        return _title(client)
    try:
        return load_client(path, client).name
    except SpecError as error:
        listed = "\n".join(f"  {problem}" for problem in error.problems)
        raise ScaffoldError(
            f"the client file {path} is broken; fix these problems first, then "
            f"run init again:\n{listed}"
        ) from None


def _title(identifier: str) -> str:
    return " ".join(word.capitalize() for word in re.split(r"[-_]+", identifier))


def _schema_ref(folder: Path, kind: str) -> str:
    """Where ``$schema`` finds the package's schema from ``folder``.

    A relative path when the two share a folder below the file system's root,
    so that editors find the schema wherever the checkout lives; otherwise
    (another drive, or only the root in common) an absolute file URI.
    """
    schema = Path(str(resources.files("formserver"))) / "schemas"
    target = (schema / f"{kind}.schema.json").resolve()
    start = folder.resolve()
    try:
        common = Path(os.path.commonpath([start, target]))
    except ValueError:
        return target.as_uri()
    if common == Path(common.anchor):
        return target.as_uri()
    return Path(os.path.relpath(target, start)).as_posix()


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")


def starter_client(client: str, schema: str) -> dict[str, Any]:
    """The ``client.json`` of a new client."""
    return {"$schema": schema, "name": _title(client), "branding": {"color": "#1f4e79"}}


def _choice(field_id: str, label: str, options: dict[str, str]) -> dict[str, Any]:
    return {
        "id": field_id,
        "type": "radio",
        "label": label,
        "required": True,
        "options": [{"value": v, "label": text} for v, text in options.items()],
    }


def _routes(prefix: str) -> dict[str, Any]:
    return {
        "routes": {
            "hot": {
                "track": f"{prefix}-sales",
                "thank_you": "Thank you. One of our team will call you within one "
                "working day.",
            },
            "warm": {
                "track": f"{prefix}-nurture",
                "thank_you": "Thank you. We will email you ideas that fit your plans.",
            },
            "cold": {
                "track": f"{prefix}-newsletter",
                "thank_you": "Thank you. We will keep you posted with our newsletter.",
            },
        }
    }


def starter_spec(client_name: str, schema: str) -> dict[str, Any]:
    """A small working spec: two segments, scoring, tiers, routes, contact."""
    consent = f"I agree that {client_name} may contact me about this request."
    return {
        "$schema": schema,
        "title": "Tell us what you need",
        "description": "Starter form written by formserver init; edit it to fit.",
        "steps": [
            {
                "id": "start",
                "title": "Who are you asking for?",
                "fields": [
                    _choice(
                        "customer_type",
                        "I am asking for",
                        {"business": "My business", "personal": "Myself or my home"},
                    )
                ],
                "next": [
                    {
                        "when": {"==": [{"var": "segment"}, "business"]},
                        "goto": "business",
                    },
                    {"goto": "personal"},
                ],
            },
            {
                "id": "business",
                "title": "About your business",
                "fields": [
                    {
                        **_choice(
                            "company_size",
                            "How many people work at your company?",
                            {
                                "1-9": "1 to 9",
                                "10-49": "10 to 49",
                                "50-plus": "50 or more",
                            },
                        ),
                        "type": "select",
                    },
                    {
                        "id": "budget",
                        "type": "money",
                        "label": "Rough budget for this project",
                        "help": "Optional. You can write 5k or 25,000.",
                        "validation": {"min": 0, "max": 100000000},
                    },
                ],
                "next": "contact",
            },
            {
                "id": "personal",
                "title": "About your plans",
                "fields": [
                    _choice(
                        "timeline",
                        "When would you like to start?",
                        {
                            "now": "As soon as possible",
                            "soon": "Within three months",
                            "later": "Later, or I am just looking",
                        },
                    )
                ],
                "next": "contact",
            },
            {
                "id": "contact",
                "title": "How can we reach you?",
                "fields": [
                    {
                        "id": "full_name",
                        "type": "text",
                        "label": "Full name",
                        "required": True,
                        "autocomplete": "name",
                        "validation": {"max_length": 120},
                    },
                    {
                        "id": "email",
                        "type": "email",
                        "label": "Email",
                        "required": True,
                        "autocomplete": "email",
                    },
                    {
                        "id": "consent",
                        "type": "consent",
                        "required": True,
                        "label": consent,
                        "consent_text": f"{consent[:-1]} by email or phone. See our "
                        "privacy notice.",
                    },
                ],
                "end": True,
            },
        ],
        "segments": [
            {
                "id": "business",
                "label": "Business",
                "when": {"==": [{"var": "customer_type"}, "business"]},
                "steps": ["business"],
                "scoring": [
                    {
                        "id": "larger-company",
                        "when": {"in": [{"var": "company_size"}, ["10-49", "50-plus"]]},
                        "points": 25,
                        "reason": "Company of 10 people or more",
                    },
                    {
                        "id": "budget-set",
                        "when": {">=": [{"var": "budget"}, 10000]},
                        "points": 25,
                        "reason": "Budget of 10,000 or more",
                    },
                ],
                **_routes("business"),
            },
            {
                "id": "personal",
                "label": "Personal",
                "steps": ["personal"],
                "scoring": [
                    {
                        "id": "starting-now",
                        "when": {"==": [{"var": "timeline"}, "now"]},
                        "points": 50,
                        "reason": "Wants to start as soon as possible",
                    },
                    {
                        "id": "starting-soon",
                        "when": {"==": [{"var": "timeline"}, "soon"]},
                        "points": 25,
                        "reason": "Wants to start within three months",
                    },
                ],
                **_routes("personal"),
            },
        ],
        "qualification": {
            "tiers": [
                {"tier": "hot", "from": 50},
                {"tier": "warm", "from": 25, "to": 50},
                {"tier": "cold", "to": 25},
            ]
        },
    }


def starter_scenarios() -> dict[str, Any]:
    """One passing scenario per segment of :func:`starter_spec`."""
    contact = {"full_name": "Ann Lee", "email": "ann@example.com", "consent": True}
    return {
        "scenarios": [
            {
                "name": "a larger business with a budget is hot",
                "answers": {
                    "customer_type": "business",
                    "company_size": "50-plus",
                    "budget": "25k",
                    **contact,
                },
                "expect": {
                    "path": ["start", "business", "contact"],
                    "segment": "business",
                    "tier": "hot",
                    "score": 50,
                    "route": "business-sales",
                },
            },
            {
                "name": "a person just looking is cold",
                "answers": {
                    "customer_type": "personal",
                    "timeline": "later",
                    **contact,
                },
                "expect": {
                    "path": ["start", "personal", "contact"],
                    "segment": "personal",
                    "tier": "cold",
                    "score": 0,
                    "route": "personal-newsletter",
                },
            },
        ]
    }
