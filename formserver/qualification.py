"""Qualification: the score, tier, segment, reasons and route of a lead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .logic import holds
from .spec import DISQUALIFIED, Route, Segment, Spec


@dataclass(frozen=True)
class Reason:
    """One rule that fired: why the lead got its points or was knocked out."""

    text: str
    points: float
    rule: str
    knockout: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "reason": self.text,
            "points": self.points,
            "knockout": self.knockout,
        }


@dataclass(frozen=True)
class Tag:
    """The qualification tag stored with a submission and on the lead."""

    score: float
    tier: str
    segment: str | None
    reasons: tuple[Reason, ...]
    route: Route | None

    def as_dict(self) -> dict[str, Any]:
        route = None
        if self.route is not None:
            route = {
                "track": self.route.track,
                "thank_you": self.route.thank_you,
                "redirect": self.route.redirect or None,
            }
        return {
            "score": self.score,
            "tier": self.tier,
            "segment": self.segment,
            "reasons": [r.as_dict() for r in self.reasons],
            "route": route,
        }


def assign_segment(spec: Spec, data: dict[str, Any]) -> Segment | None:
    """The first segment whose condition holds for ``data``, if any."""
    for segment in spec.segments:
        if holds(segment.when, data):
            return segment
    return None


def qualify(spec: Spec, data: dict[str, Any]) -> Tag:
    """Score ``data`` (answers merged over the profile) and tag the lead."""
    segment = assign_segment(spec, data)
    rules = spec.scoring + (segment.scoring if segment else ())
    knockouts = spec.knockouts + (segment.knockouts if segment else ())

    reasons = [
        Reason(rule.reason, rule.points, rule.id or rule.pointer)
        for rule in rules
        if holds(rule.when, data)
    ]
    score = _tidy(sum(reason.points for reason in reasons))
    knocked_out = [
        Reason(k.reason, 0, k.id or k.pointer, knockout=True)
        for k in knockouts
        if holds(k.when, data)
    ]

    tier = DISQUALIFIED if knocked_out else tier_for(spec, segment, score)
    return Tag(
        score=score,
        tier=tier,
        segment=segment.id if segment else None,
        reasons=tuple(knocked_out + reasons),
        route=spec.route_for(segment, tier),
    )


def tier_for(spec: Spec, segment: Segment | None, score: float) -> str:
    """The tier whose band holds ``score``; the lowest band when none does."""
    bands = spec.tiers_for(segment)
    for band in bands:
        if band.contains(score):
            return band.tier
    if not bands:
        return "unrated"
    return min(bands, key=lambda b: b.low if b.low is not None else float("-inf")).tier


def _tidy(number: float) -> float:
    """Whole scores as ints, so that 30.0 is stored and shown as 30."""
    return int(number) if float(number).is_integer() else round(number, 6)
