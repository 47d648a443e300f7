"""The spec model: one client's form as the frozen objects the engine reads.

:mod:`formserver.specfile` reads a spec's JSON and compiles it into these
objects; deeper checks (unknown references, unreachable steps …) live in
:mod:`formserver.checker`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .logic import variables_in

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
    #: The names ``when`` reads, worked out once: ranking questions asks often.
    reads: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", frozenset(variables_in(self.when)))


@dataclass(frozen=True)
class Knockout:
    when: Any
    reason: str
    pointer: str
    id: str = ""
    reads: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", frozenset(variables_in(self.when)))


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
    reachable: dict[str, frozenset[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        fields = {f.id: f for s in self.steps for f in s.fields}
        object.__setattr__(self, "steps_by_id", {s.id: s for s in self.steps})
        object.__setattr__(self, "fields_by_id", fields)
        step_of_field = {f.id: s.id for s in self.steps for f in s.fields}
        object.__setattr__(self, "step_of_field", step_of_field)
        object.__setattr__(self, "never_held_back", self._never_held_back())
        pairs = zip(self.steps, self.steps[1:], strict=False)
        object.__setattr__(self, "following", {a.id: b for a, b in pairs})
        object.__setattr__(self, "reachable", self._reachable())

    def _reachable(self) -> dict[str, frozenset[str]]:
        """For each step, the steps a prospect there may still reach, itself too."""
        from .branches import successors

        after = {
            step.id: [
                target
                for target in successors(step, self.following.get(step.id))
                if target in self.steps_by_id
            ]
            for step in self.steps
        }
        reachable = {}
        for step in self.steps:
            seen, todo = {step.id}, [step.id]
            while todo:
                new = set(after[todo.pop()]) - seen
                seen |= new
                todo.extend(new)
            reachable[step.id] = frozenset(seen)
        return reachable

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
