"""The preview's explanation: where given answers lead, and why.

For a spec, a set of answers (by field id) and a known profile, this walks the
form without validating anything and reports, in plain words, every branch,
visibility condition, scoring rule and knock-out with whether it held, then the
path, the running score with its reasons, the tier and the route. It also
prepares a test run of the real form that opens at a chosen step, with the
preview's answers given on the steps before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .engine import Answers, Flow
from .fieldtypes import parse_amount
from .logic import LogicError, holds
from .plainwords import describe
from .profiling import Known
from .spec import Field, Spec, Step


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


def posted_value(field_: Field, text: str) -> list[str]:
    """A marketer's typed preview answer as a browser would post it."""
    text = text.strip()
    if not text:
        return []
    if field_.type == "checkboxes":
        return [part.strip() for part in text.split(",") if part.strip()]
    if field_.type == "consent":
        return ["y"] if typed_value(field_, text) else []
    return [text]


def explain(spec: Spec, values: dict[str, Any], profile: dict[str, Any]) -> Explanation:
    """Walk ``spec`` with ``values`` and ``profile``; say what fired and why."""
    flow = _preview_flow(spec, values, profile)
    data = flow.data
    explanation = Explanation(path=list(flow.path), tag=flow.tag().as_dict())
    explanation.shown = {
        step_id: [f.id for f in flow.fields_to_ask(spec.steps_by_id[step_id])]
        for step_id in flow.path
    }
    explanation.checks = _checks(spec, flow, data)
    return explanation


def _preview_flow(
    spec: Spec, values: Mapping[str, Any], profile: Mapping[str, Any]
) -> Flow:
    """The flow with every step answered: blanks count as unanswered questions."""
    answers = {
        step.id: {f.id: values.get(f.id) for f in step.fields} for step in spec.steps
    }
    known = {key: Known(value) for key, value in profile.items() if value is not None}
    return Flow(spec, answers, profile=known)


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


class UnreachableStep(ValueError):
    """The preview's answers do not lead a test run to the wanted step."""


def answers_before(
    spec: Spec, typed: Mapping[str, str], profile: Mapping[str, str], step_id: str
) -> Answers:
    """Answer ``spec`` step by step with the preview's text until ``step_id``.

    ``typed`` holds the text by field id and ``profile`` by profile key. A test
    run has no lead behind it, so the profile stands in as the answer to each
    question it would have spared. Every step is validated as the real form
    would, so the run holds only what a prospect could have sent; raise
    :class:`UnreachableStep` saying why when the answers stop short.
    """
    _require_on_path(spec, typed, profile, step_id)

    answers: Answers = {}
    # Each pass answers one more step, so the walk ends within the spec's length.
    for _ in range(len(spec.steps) + 1):
        flow = Flow(spec, answers)
        current = flow.current
        if step_id in flow.path or (current is not None and current.id == step_id):
            return answers
        if current is None or flow.looped:
            break
        result = flow.submit(current.id, posted_step(current, typed, profile))
        if not result.ok:
            field_id, messages = next(iter(result.errors.items()))
            label = spec.fields_by_id[field_id].label
            raise UnreachableStep(
                f"The test run cannot reach {step_id}: on step {current.id}, "
                f"{label}: {messages[0]}"
            )
        answers[current.id] = result.values

    raise UnreachableStep(
        f"The test run cannot reach {step_id}: the answers it could send lead "
        f"{' → '.join(Flow(spec, answers).path)} instead."
    )


def _require_on_path(
    spec: Spec, typed: Mapping[str, str], profile: Mapping[str, str], step_id: str
) -> None:
    """Refuse a step off the path the preview shows for these answers."""
    fields = spec.fields_by_id
    values = {f: typed_value(fields[f], text) for f, text in typed.items()}
    path = _preview_flow(spec, values, profile).path
    if step_id not in path:
        raise UnreachableStep(
            f"The test run cannot reach {step_id}: with these answers the form "
            f"goes {' → '.join(path)}."
        )


def posted_step(
    step: Step, typed: Mapping[str, str], profile: Mapping[str, str]
) -> dict[str, list[str]]:
    """The preview's text for ``step`` as a browser would post the step."""
    posted = {}
    for field_ in step.fields:
        text = typed.get(field_.id) or profile.get(field_.profile_key, "")
        value = posted_value(field_, text)
        if value:
            posted[field_.id] = value
    return posted
