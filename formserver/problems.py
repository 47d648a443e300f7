"""Problems found in a marketer's spec or client file, and how they read."""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema


@dataclass(frozen=True, order=True)
class Problem:
    """One thing to change in a file, located by a JSON pointer."""

    source: str
    pointer: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        text = f"{self.source}:{self.pointer or '/'}: {self.severity}: {self.message}"
        return one_line(text)

    def as_dict(self) -> dict[str, str]:
        return {
            "file": self.source,
            "pointer": self.pointer or "/",
            "severity": self.severity,
            "message": self.message,
        }


#: How control characters read once escaped; others as ``\\x1b`` or ``\\u2028``.
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped.

    Tools read ``formserver check`` one problem per line, and a message may
    quote what a marketer wrote (a label, a required_message): a newline in it
    must not start what looks like another problem, nor an escape sequence
    repaint the terminal.
    """
    if text.isprintable():
        return text
    return "".join(_escaped(char) for char in text)


def _escaped(char: str) -> str:
    if unicodedata.category(char) not in ("Cc", "Zl", "Zp"):
        return char
    code = ord(char)
    return _ESCAPES.get(char) or (
        f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    )


class SpecError(Exception):
    """A spec or client file cannot be used; ``problems`` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ``"; did you mean 'x'?"`` suffix when ``name`` resembles a choice."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


@cache
def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema for ``kind``: ``"spec"`` or ``"client"``."""
    text = resources.files("formserver").joinpath(f"schemas/{kind}.schema.json")
    return json.loads(text.read_text(encoding="utf-8"))


@cache
def _validator(kind: str) -> jsonschema.protocols.Validator:
    document = schema(kind)
    return jsonschema.Draft202012Validator(document)


def schema_problems(document: Any, kind: str, source: str) -> list[Problem]:
    """Every place where ``document`` breaks the schema, in plain words."""
    errors = _validator(kind).iter_errors(document)
    problems = {
        Problem(source, json_pointer(error.absolute_path), _describe(error))
        for error in errors
    }
    return sorted(problems)


def json_pointer(path: Iterable[Any]) -> str:
    """The JSON pointer of ``path``, a sequence of keys and indexes."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "".join(f"/{p}" for p in parts)


def _describe(error: jsonschema.ValidationError) -> str:
    validator = error.validator
    value = error.instance
    shown = _short(value)
    if validator == "required":
        missing = [k for k in error.validator_value if k not in (value or {})]
        return f"'{missing[0]}' is missing here; add it"
    if validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed))
        name = extra[0] if extra else "?"
        return f"'{name}' is not a setting here{did_you_mean(name, allowed)}"
    if validator == "enum":
        choices = ", ".join(repr(c) for c in error.validator_value)
        hint = did_you_mean(str(value), [str(c) for c in error.validator_value])
        return f"{shown} is not one of {choices}{hint}"
    if validator == "type":
        return f"{shown} should be {_type_words(error.validator_value)}"
    if validator == "pattern":
        return _pattern_message(error)
    if validator in ("minItems", "minLength"):
        return "this cannot be empty"
    if validator == "uniqueItems":
        return f"{shown} lists the same entry twice"
    if validator == "oneOf":
        return f'{shown} should be a step id or a list of {{"when", "goto"}} branches'
    if validator in ("minimum", "maximum", "maxLength"):
        return f"{shown} is out of range ({error.message})"
    return error.message


def _pattern_message(error: jsonschema.ValidationError) -> str:
    shown = _short(error.instance)
    pattern = error.validator_value
    if pattern.startswith("^[a-z]"):
        return (
            f"{shown} is not a valid id; use lower-case letters, digits, '-' and '_',"
            " starting with a letter"
        )
    if pattern.startswith("^https"):
        return f"{shown} must be an https:// address"
    if pattern.startswith("^/static/"):
        return (
            f"{shown} must be a path under /static/ on this server, such as "
            "/static/logos/acme.svg: form pages make no third-party requests"
        )
    return f"{shown} does not have the expected form ({pattern})"


def _type_words(expected: str | list[str]) -> str:
    names = {
        "object": "an object {…}",
        "array": "a list […]",
        "string": "text in quotes",
        "number": "a number",
        "integer": "a whole number",
        "boolean": "true or false",
    }
    if isinstance(expected, list):
        return " or ".join(names.get(e, e) for e in expected)
    return names.get(expected, expected)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"
