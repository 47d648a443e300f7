"""The preview's explanation: where given answers lead, and why.

For a spec, a set of answers (by field id) and a known profile, this walks the
form without validating anything and reports, in plain words, every branch,
visibility condition, scoring rule and knock-out with whether it held, then the
path, the running score with its reasons, the tier and the route.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .engine import Flow
from .fieldtypes import parse_amount
from .logic import LogicError, holds
from .plainwords import describe
from .profiling import Known
from .spec import Field, Spec


@dataclass(frozen=True)
class Check:
    """One condition of the spec, in plain words, and whether it held."""

    kind: str
    where: str
    words: str
    held: bool
    points: float | None = None


@dataclass
class Explanation:
    path: list[str]
    tag: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    shown: dict[str, list[str]] = field(default_factory=dict)


def typed_value(field_: Field, text: str) -> Any:
    """A marketer's typed preview answer as the engine stores it."""
    text = text.strip()
    if not text:
        return None
    if field_.type in ("number", "money"):
        try:
            return parse_amount(text, suffixes=field_.type == "money")
        except ValueError:
            return text
    if field_.type == "checkboxes":
        return [part.strip() for part in text.split(",") if part.strip()]
    if field_.type == "consent":
        return text.lower() in ("1", "y", "yes", "true", "on")
    return text


def explain(spec: Spec, values: dict[str, Any], profile: dict[str, Any]) -> Explanation:
    """Walk ``spec`` with ``values`` and ``profile``; say what fired and why."""
    answers = {
        step.id: {f.id: values.get(f.id) for f in step.fields} for step in spec.steps
    }
    known = {key: Known(value) for key, value in profile.items() if value is not None}
    flow = Flow(spec, answers, profile=known)
    data = flow.data
    explanation = Explanation(path=list(flow.path), tag=flow.tag().as_dict())
    explanation.shown = {
        step_id: [f.id for f in flow.fields_to_ask(spec.steps_by_id[step_id])]
        for step_id in flow.path
    }
    explanation.checks = _checks(spec, flow, data)
    return explanation


def _checks(spec: Spec, flow: Flow, data: dict[str, Any]) -> list[Check]:
    checks = []
    for segment in spec.segments:
        if segment.when is not None:
            checks.append(_check("segment", segment.label, segment.when, spec, data))
    for step_id in flow.path:
        step = spec.steps_by_id[step_id]
        for field_ in step.fields:
            if field_.visible_if is not None:
                where = f"{step_id}: {field_.label}"
                checks.append(_check("shows", where, field_.visible_if, spec, data))
        for goto in step.next:
            if goto.when is not None:
                where = f"{step_id} → {goto.step}"
                checks.append(_check("branch", where, goto.when, spec, data))
    chosen = flow.segment
    rules = spec.scoring + (chosen.scoring if chosen else ())
    for rule in rules:
        check = _check("score", rule.reason, rule.when, spec, data)
        checks.append(Check(**{**check.__dict__, "points": rule.points}))
    for knockout in spec.knockouts + (chosen.knockouts if chosen else ()):
        checks.append(_check("knock-out", knockout.reason, knockout.when, spec, data))
    return checks


def _check(kind: str, where: str, rule: Any, spec: Spec, data: dict[str, Any]) -> Check:
    try:
        held = holds(rule, data)
    except LogicError:
        held = False
    return Check(kind=kind, where=where, words=describe(rule, spec), held=held)
