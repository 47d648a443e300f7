"""Progressive profiling: which ask-once questions one visit should ask.

A returning lead is not asked again what their profile knows. Of the ask-once
fields still unknown, a visit asks at most ``profiling.max_new_questions``, chosen
from the segment's queue: by each field's ``priority`` (``"order"``), or by how far
its possible answers can move the lead's score (``"auto"``), so that the fewest
questions settle the tier.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .logic import holds
from .spec import Field, Segment, Spec

#: A question that can disqualify a lead settles its tier like no points can.
KNOCKOUT_WEIGHT = 1000


@dataclass(frozen=True)
class Known:
    """One value of a lead's profile and when it was learned."""

    value: Any
    learned_at: datetime.datetime | None = None


def is_known(
    field: Field, profile: Mapping[str, Known], now: datetime.datetime
) -> bool:
    """Whether an ask-once ``field`` can be skipped for this profile."""
    if not field.ask_once:
        return False
    known = profile.get(field.profile_key)
    if known is None or known.value in (None, "", []):
        return False
    if field.refresh_after_days and known.learned_at is not None:
        age = now - known.learned_at
        return age < datetime.timedelta(days=field.refresh_after_days)
    return True


def queue(spec: Spec, segment: Segment | None) -> list[Field]:
    """The ask-once fields of the common steps and of ``segment``'s steps.

    The fields every lead needs and those that decide the segment or a branch
    (``spec.never_held_back``) are never held back.
    """
    segment_steps = {s for seg in spec.segments for s in seg.steps}
    own = set(segment.steps) if segment else set()
    return [
        field
        for step in spec.steps
        if step.id not in segment_steps or step.id in own
        for field in step.fields
        if field.ask_once and field.id not in spec.never_held_back
    ]


def allowed_new_questions(
    spec: Spec,
    segment: Segment | None,
    unknown: Iterable[Field],
    already_asked: set[str],
    data: dict[str, Any],
) -> set[str] | None:
    """Ids of the unknown ask-once fields this visit may ask, or None for all.

    ``already_asked`` holds the ask-once fields shown earlier on this visit's
    path; they count against the limit.
    """
    limit = spec.profiling.max_new_questions
    if limit is None:
        return None

    candidates = [f for f in unknown if f.id not in already_asked]
    room = max(0, limit - len(already_asked))
    if len(candidates) <= room:
        return already_asked | {field.id for field in candidates}
    ranked = _ranked(spec, candidates, data)
    return already_asked | {field.id for field in ranked[:room]}


def _ranked(spec: Spec, fields: list[Field], data: dict[str, Any]) -> list[Field]:
    order = {field.id: index for index, field in enumerate(fields)}
    if spec.profiling.priority != "auto":
        return sorted(fields, key=lambda f: (-f.priority, order[f.id]))
    impact = {field.id: score_impact(spec, field, data) for field in fields}
    return sorted(fields, key=lambda f: (-impact[f.id], -f.priority, order[f.id]))


def score_impact(spec: Spec, field: Field, data: dict[str, Any]) -> float:
    """How far the answers to ``field`` could move the score, all else as known.

    For a choice field every option is tried; for any other field the points of
    every rule that reads it are added up, since one answer may fire them all.
    """
    knockouts = list(spec.knockouts) + [k for s in spec.segments for k in s.knockouts]
    vetoes = sum(1 for k in knockouts if field.id in k.reads)
    if field.is_choice and field.type != "checkboxes":
        return _option_spread(spec, field, data) + KNOCKOUT_WEIGHT * vetoes

    rules = list(spec.scoring) + [r for s in spec.segments for r in s.scoring]
    points = sum(abs(r.points) for r in rules if field.id in r.reads)
    return points + KNOCKOUT_WEIGHT * vetoes


def _option_spread(spec: Spec, field: Field, data: dict[str, Any]) -> float:
    """The widest gap in score between two of the field's options.

    Only the rules that read the field are tried: every other rule adds the
    same points whatever the option, and the segment cannot change, since a
    field that decides it is never held back and so never ranked.
    """
    segment = spec.segment(data.get("segment"))
    rules = spec.scoring + (segment.scoring if segment else ())
    reading = [rule for rule in rules if field.id in rule.reads]
    if not reading or not field.options:
        return 0.0

    scores = []
    for option in field.options:
        trial = dict(data, **{field.id: option.value})
        scores.append(sum(rule.points for rule in reading if holds(rule.when, trial)))
    return max(scores) - min(scores)
