"""Reading a spec: its JSON parsed, checked against the schema and compiled once.

A spec file is first checked against the JSON Schema shipped in
``formserver/schemas``; :func:`compile_spec` then turns the checked document into
the frozen objects of :mod:`formserver.spec` that the flow engine and
qualification read.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .problems import Problem, SpecError, json_pointer, schema_problems
from .spec import (
    DEFAULT_CAPTURE,
    Band,
    Field,
    Goto,
    Knockout,
    Option,
    Profiling,
    Route,
    ScoringRule,
    Segment,
    Spec,
    Step,
)


def content_version(document: Any) -> str:
    """A short identifier of a spec's content, blind to whitespace and key order."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def parse_json(text: str | bytes, source: str) -> Any:
    """Parse spec or client JSON, raising :class:`SpecError` with the position."""
    text = _decoded(text, source)
    if not text.strip():
        raise SpecError([Problem(source, "", "the file is empty; it must hold JSON")])
    try:
        document, unusable = _loads(text)
        problems = _number_problems(document, source) if unusable else []
        if problems:
            raise SpecError(problems)
        if "\\u" in text:
            # A \ud800-style escape decodes to half a character, which no
            # page or database can hold: find it now rather than on a page.
            json.dumps(document, ensure_ascii=False).encode("utf-8")
    except json.JSONDecodeError as error:
        message = (
            f"not valid JSON at line {error.lineno}, column {error.colno}: "
            f"{error.msg.lower()}"
        )
        raise SpecError([Problem(source, "", message)]) from None
    except UnicodeEncodeError:
        message = (
            "the file holds a \\u escape of half a character (a lone surrogate "
            "such as \\ud800); write the character itself instead"
        )
        raise SpecError([Problem(source, "", message)]) from None
    except RecursionError:
        raise SpecError(
            [Problem(source, "", "the JSON is nested too deeply")]
        ) from None
    return document


def _decoded(text: str | bytes, source: str) -> str:
    """``text`` as a string, without the byte order mark some editors write."""
    if isinstance(text, str):
        return text.removeprefix("\ufeff")
    try:
        return text.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(
            [Problem(source, "", "the file is not UTF-8 text; save it as UTF-8")]
        ) from None


@dataclass(frozen=True)
class _UnusableNumber:
    """A number as written in the file, which no spec can compute with."""

    text: str


def _loads(text: str) -> tuple[Any, bool]:
    """The parsed document, and whether it holds an unusable number.

    Python's parser accepts NaN and Infinity, and reads 1e999 as infinity; a
    score or bound built on them compares false with everything and makes the
    lead's tag invalid JSON, so each is kept as :class:`_UnusableNumber` to be
    reported where it stands.
    """
    found: list[_UnusableNumber] = []

    def unusable(number: str) -> _UnusableNumber:
        found.append(_UnusableNumber(number))
        return found[-1]

    def real(number: str) -> float | _UnusableNumber:
        value = float(number)
        return value if math.isfinite(value) else unusable(number)

    def whole(number: str) -> int | _UnusableNumber:
        # An integer beyond what a float holds overflows the arithmetic of
        # scores, and past 4,300 digits int() itself refuses it.
        if len(number.lstrip("-")) > _MAX_DIGITS:
            return unusable(number)
        value = int(number)
        return value if abs(value) <= sys.float_info.max else unusable(number)

    document = json.loads(
        text, parse_constant=unusable, parse_float=real, parse_int=whole
    )
    return document, bool(found)


#: Digits of the largest integer a float holds (about 1.8e308).
_MAX_DIGITS = 309


def _number_problems(document: Any, source: str) -> list[Problem]:
    """A problem at each unusable number in ``document``, found without recursion."""
    problems = []
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while pending:
        value, path = pending.pop()
        if isinstance(value, _UnusableNumber):
            problems.append(Problem(source, json_pointer(path), _unusable(value)))
        elif isinstance(value, dict):
            pending += [(item, (*path, key)) for key, item in value.items()]
        elif isinstance(value, list):
            pending += [(item, (*path, index)) for index, item in enumerate(value)]
    return sorted(problems)


def _unusable(number: _UnusableNumber) -> str:
    shown = number.text if len(number.text) <= 24 else number.text[:20] + "…"
    if number.text.lstrip("-") in ("NaN", "Infinity"):
        return (
            f"{shown} is not a number JSON allows; write a number, such as "
            "0 or 1000000, or leave the setting out"
        )
    return (
        f"the number {shown} is beyond what a spec can compute with; write a "
        "number between -1e308 and 1e308"
    )


def compile_spec(
    document: Any, *, client: str = "", form: str = "", source: str = "<spec>"
) -> Spec:
    """Check ``document`` against the schema and build a :class:`Spec`.

    Raises :class:`SpecError` listing every schema problem.
    """
    try:
        problems = schema_problems(document, "spec", source)
        if problems:
            raise SpecError(problems)
        canonical = json.dumps(document, sort_keys=True)
        return _compile_cached(canonical, client, form, source)
    except RecursionError:
        # json.loads accepts deeper nesting than the schema validator, or a
        # caller further down the stack, can walk.
        raise SpecError(
            [Problem(source, "", "the JSON is nested too deeply")]
        ) from None


@lru_cache(maxsize=256)
def _compile_cached(text: str, client: str, form: str, source: str) -> Spec:
    document = json.loads(text)
    qualification = document.get("qualification", {})
    profiling = document.get("profiling", {})
    return Spec(
        client=client,
        form=form,
        source=source,
        version=content_version(document),
        title=document["title"],
        description=document.get("description", ""),
        steps=tuple(_step(s, f"/steps/{i}") for i, s in enumerate(document["steps"])),
        segments=tuple(
            _segment(s, f"/segments/{i}")
            for i, s in enumerate(document.get("segments", []))
        ),
        scoring=_rules(qualification.get("scoring", []), "/qualification/scoring"),
        knockouts=_knockouts(
            qualification.get("knockouts", []), "/qualification/knockouts"
        ),
        tiers=_bands(qualification.get("tiers", []), "/qualification/tiers"),
        routes=_routes(qualification.get("routes", {}), "/qualification/routes"),
        lead_fields=tuple(document.get("lead_fields", ["email"])),
        capture=tuple(document.get("capture", DEFAULT_CAPTURE)),
        profiling=Profiling(
            max_new_questions=profiling.get("max_new_questions"),
            priority=profiling.get("priority", "order"),
        ),
        document=document,
    )


def _step(raw: dict[str, Any], pointer: str) -> Step:
    return Step(
        id=raw["id"],
        pointer=pointer,
        title=raw.get("title", ""),
        intro=raw.get("intro", ""),
        fields=tuple(
            _field(f, f"{pointer}/fields/{i}")
            for i, f in enumerate(raw.get("fields", []))
        ),
        next=_next(raw.get("next"), f"{pointer}/next"),
        end=raw.get("end", False),
    )


def _next(raw: Any, pointer: str) -> tuple[Goto, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (Goto(step=raw, pointer=pointer),)
    return tuple(
        Goto(step=b["goto"], when=b.get("when"), pointer=f"{pointer}/{i}")
        for i, b in enumerate(raw)
    )


def _field(raw: dict[str, Any], pointer: str) -> Field:
    options = tuple(Option(o["value"], o["label"]) for o in raw.get("options", []))
    return Field(
        id=raw["id"],
        type=raw["type"],
        label=raw.get("label", raw["id"].replace("_", " ").capitalize()),
        pointer=pointer,
        help=raw.get("help", ""),
        placeholder=raw.get("placeholder", ""),
        options=options,
        required=raw.get("required", False),
        required_message=raw.get("required_message", ""),
        validation=raw.get("validation", {}),
        profile_key=raw.get("profile_key", raw["id"]),
        visible_if=raw.get("visible_if"),
        consent_text=raw.get("consent_text", ""),
        region=raw.get("region", ""),
        currency=raw.get("currency", ""),
        value=raw.get("value", ""),
        ask_once=raw.get("ask_once", False),
        refresh_after_days=raw.get("refresh_after_days"),
        priority=raw.get("priority", 0),
        autocomplete=raw.get("autocomplete", ""),
    )


def _segment(raw: dict[str, Any], pointer: str) -> Segment:
    return Segment(
        id=raw["id"],
        pointer=pointer,
        label=raw.get("label", raw["id"]),
        when=raw.get("when"),
        steps=tuple(raw.get("steps", [])),
        scoring=_rules(raw.get("scoring", []), f"{pointer}/scoring"),
        knockouts=_knockouts(raw.get("knockouts", []), f"{pointer}/knockouts"),
        tiers=_bands(raw.get("tiers", []), f"{pointer}/tiers"),
        routes=_routes(raw.get("routes", {}), f"{pointer}/routes"),
    )


def _rules(raw: list[dict[str, Any]], pointer: str) -> tuple[ScoringRule, ...]:
    return tuple(
        ScoringRule(
            when=r["when"],
            points=r["points"],
            reason=r["reason"],
            id=r.get("id", ""),
            pointer=f"{pointer}/{i}",
        )
        for i, r in enumerate(raw)
    )


def _knockouts(raw: list[dict[str, Any]], pointer: str) -> tuple[Knockout, ...]:
    return tuple(
        Knockout(
            when=k["when"],
            reason=k["reason"],
            id=k.get("id", ""),
            pointer=f"{pointer}/{i}",
        )
        for i, k in enumerate(raw)
    )


def _bands(raw: list[dict[str, Any]], pointer: str) -> tuple[Band, ...]:
    return tuple(
        Band(
            tier=b["tier"],
            low=b.get("from"),
            high=b.get("to"),
            pointer=f"{pointer}/{i}",
        )
        for i, b in enumerate(raw)
    )


def _routes(raw: dict[str, Any], pointer: str) -> dict[str, Route]:
    return {
        tier: Route(
            track=r["track"],
            thank_you=r.get("thank_you", ""),
            redirect=r.get("redirect", ""),
            pointer=f"{pointer}/{tier}",
        )
        for tier, r in raw.items()
    }
