"""The spec model: one client's form, read from JSON and compiled once.

A spec file is first checked against the JSON Schema shipped in
``formserver/schemas``; :func:`compile_spec` then turns the checked document into
frozen objects that the flow engine and qualification read. Deeper checks (unknown
references, unreachable steps …) live in :mod:`formserver.checker`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .logic import variables_in
from .problems import Problem, SpecError, schema_problems

DEFAULT_CAPTURE = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "referrer",
)
CHOICE_TYPES = frozenset({"select", "radio", "checkboxes"})
DISQUALIFIED = "disqualified"


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One question of a step."""

    id: str
    type: str
    label: str
    pointer: str
    help: str = ""
    placeholder: str = ""
    options: tuple[Option, ...] = ()
    required: bool = False
    required_message: str = ""
    validation: dict[str, Any] = field(default_factory=dict, hash=False)
    profile_key: str = ""
    visible_if: Any = field(default=None, hash=False)
    consent_text: str = ""
    region: str = ""
    currency: str = ""
    value: str = ""
    ask_once: bool = False
    refresh_after_days: int | None = None
    priority: int = 0
    autocomplete: str = ""

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES

    def option_label(self, value: str) -> str:
        """The label shown for ``value``, or the value itself when unknown."""
        for option in self.options:
            if option.value == value:
                return option.label
        return value


@dataclass(frozen=True)
class Goto:
    """One branch out of a step: go to ``step`` when ``when`` holds."""

    step: str
    pointer: str
    when: Any = field(default=None, hash=False)


@dataclass(frozen=True)
class Step:
    """One page of the form."""

    id: str
    pointer: str
    title: str = ""
    intro: str = ""
    fields: tuple[Field, ...] = ()
    next: tuple[Goto, ...] = ()
    end: bool = False


@dataclass(frozen=True)
class ScoringRule:
    when: Any
    points: float
    reason: str
    pointer: str
    id: str = ""


@dataclass(frozen=True)
class Knockout:
    when: Any
    reason: str
    pointer: str
    id: str = ""


@dataclass(frozen=True)
class Band:
    """Scores from ``low`` (inclusive) up to ``high`` (exclusive) get ``tier``."""

    tier: str
    pointer: str
    low: float | None = None
    high: float | None = None

    def contains(self, score: float) -> bool:
        above = self.low is None or score >= self.low
        below = self.high is None or score < self.high
        return above and below


@dataclass(frozen=True)
class Route:
    """The follow-up for a segment and tier."""

    track: str
    pointer: str
    thank_you: str = ""
    redirect: str = ""


@dataclass(frozen=True)
class Segment:
    """A branch of prospects with its own questions, thresholds and routes."""

    id: str
    pointer: str
    label: str = ""
    when: Any = field(default=None, hash=False)
    steps: tuple[str, ...] = ()
    scoring: tuple[ScoringRule, ...] = ()
    knockouts: tuple[Knockout, ...] = ()
    tiers: tuple[Band, ...] = ()
    routes: dict[str, Route] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Profiling:
    max_new_questions: int | None = None
    priority: str = "order"


@dataclass(frozen=True, eq=False)
class Spec:
    """A compiled form spec. ``version`` identifies its content."""

    client: str
    form: str
    source: str
    version: str
    title: str
    description: str
    steps: tuple[Step, ...]
    segments: tuple[Segment, ...]
    scoring: tuple[ScoringRule, ...]
    knockouts: tuple[Knockout, ...]
    tiers: tuple[Band, ...]
    routes: dict[str, Route]
    lead_fields: tuple[str, ...]
    capture: tuple[str, ...]
    profiling: Profiling
    document: dict[str, Any] = field(repr=False)
    steps_by_id: dict[str, Step] = field(init=False, repr=False)
    fields_by_id: dict[str, Field] = field(init=False, repr=False)
    step_of_field: dict[str, str] = field(init=False, repr=False)
    never_held_back: frozenset[str] = field(init=False, repr=False)
    following: dict[str, Step] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        fields = {f.id: f for s in self.steps for f in s.fields}
        object.__setattr__(self, "steps_by_id", {s.id: s for s in self.steps})
        object.__setattr__(self, "fields_by_id", fields)
        step_of_field = {f.id: s.id for s in self.steps for f in s.fields}
        object.__setattr__(self, "step_of_field", step_of_field)
        object.__setattr__(self, "never_held_back", self._never_held_back())
        pairs = zip(self.steps, self.steps[1:], strict=False)
        object.__setattr__(self, "following", {a.id: b for a, b in pairs})

    def _never_held_back(self) -> frozenset[str]:
        """Fields every visit asks when unknown: the lead's own and the deciding.

        Holding back a question that picks the segment or a branch would send
        the prospect down the wrong path, so profiling never defers those.
        """
        deciding: set[str] = set()
        for segment in self.segments:
            deciding |= variables_in(segment.when)
        for step in self.steps:
            for goto in step.next:
                deciding |= variables_in(goto.when)
        return frozenset(deciding | set(self.lead_fields))

    @property
    def first_step(self) -> Step:
        return self.steps[0]

    @property
    def key(self) -> str:
        return f"{self.client}/{self.form}"

    def segment(self, segment_id: str | None) -> Segment | None:
        """The segment called ``segment_id``, if the spec has one."""
        for segment in self.segments:
            if segment.id == segment_id:
                return segment
        return None

    def tiers_for(self, segment: Segment | None) -> tuple[Band, ...]:
        """The tier bands in force for ``segment``."""
        if segment is not None and segment.tiers:
            return segment.tiers
        return self.tiers

    def route_for(self, segment: Segment | None, tier: str) -> Route | None:
        """The route for ``tier`` in ``segment``, falling back to the spec's."""
        if segment is not None and tier in segment.routes:
            return segment.routes[tier]
        return self.routes.get(tier)


def content_version(document: Any) -> str:
    """A short identifier of a spec's content, blind to whitespace and key order."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def parse_json(text: str | bytes, source: str) -> Any:
    """Parse spec or client JSON, raising :class:`SpecError` with the position."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise SpecError(
                [Problem(source, "", "the file is not UTF-8 text; save it as UTF-8")]
            ) from None
    if not text.strip():
        raise SpecError([Problem(source, "", "the file is empty; it must hold JSON")])
    try:
        document = json.loads(text)
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


def compile_spec(
    document: Any, *, client: str = "", form: str = "", source: str = "<spec>"
) -> Spec:
    """Check ``document`` against the schema and build a :class:`Spec`.

    Raises :class:`SpecError` listing every schema problem.
    """
    try:
        problems = schema_problems(document, "spec", source)
        canonical = json.dumps(document, sort_keys=True)
    except RecursionError:
        # json.loads accepts deeper nesting than the schema validator can walk.
        raise SpecError(
            [Problem(source, "", "the JSON is nested too deeply")]
        ) from None
    if problems:
        raise SpecError(problems)

    return _compile_cached(canonical, client, form, source)


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
