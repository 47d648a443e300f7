"""Qualification: tier bands with holes or overlaps, routes, segment order."""

from __future__ import annotations

from typing import Any

from ..branches import unconditional
from ..problems import did_you_mean
from ..spec import DISQUALIFIED, Band, Segment
from .context import Context


def check_bands(context: Context) -> None:
    """Tier bands, the form's and each segment's, that leave holes or overlap."""
    spec = context.spec
    _check_band_set(context, spec.tiers)
    for segment in spec.segments:
        _check_band_set(context, segment.tiers)


def _check_band_set(context: Context, bands: tuple[Band, ...]) -> None:
    for band in bands:
        if band.tier == DISQUALIFIED:
            context.error(
                f"{band.pointer}/tier",
                "the tier name 'disqualified' is kept for knock-outs; give this "
                "tier another name",
            )
        if band.low is not None and band.high is not None and band.low >= band.high:
            context.error(
                band.pointer,
                f"tier {_band_words(band)} is empty: 'from' must be below 'to'",
            )
    for side, key in (("low", "from"), ("high", "to")):
        open_bands = [b for b in bands if getattr(b, side) is None]
        for band in open_bands[1:]:
            context.error(
                band.pointer,
                f"tiers '{open_bands[0].tier}' and '{band.tier}' both leave out "
                f"'{key}'; only the {'lowest' if key == 'from' else 'highest'} "
                "tier may",
            )
    valid = [b for b in bands if b.low is None or b.high is None or b.low < b.high]
    _check_overlaps(context, valid)
    _check_gaps(context, valid)


def _check_overlaps(context: Context, bands: list[Band]) -> None:
    for later_index, later in enumerate(bands):
        for earlier in bands[:later_index]:
            low = max(_low(earlier), _low(later))
            high = min(_high(earlier), _high(later))
            if float("-inf") < low < high < float("inf"):
                context.error(
                    later.pointer,
                    f"tiers {_band_words(earlier)} and {_band_words(later)} overlap "
                    f"between {_number(low)} and {_number(high)}; make one stop "
                    "where the other starts",
                )


def _check_gaps(context: Context, bands: list[Band]) -> None:
    for band in bands:
        if band.high is None or any(b.contains(band.high) for b in bands):
            continue
        starts = [b for b in bands if b.low is not None and b.low > band.high]
        if starts:
            above = min(starts, key=_low)
            context.error(
                above.pointer,
                f"no tier covers scores from {_number(band.high)} up to "
                f"{_number(_low(above))}, between tiers {_band_words(band)} and "
                f"{_band_words(above)}; make one start where the other stops",
            )
        else:
            lowest = min(bands, key=_low)
            context.warning(
                band.pointer,
                f"no tier covers scores of {_number(band.high)} and above, so they "
                f"get the lowest tier '{lowest.tier}'; leave out 'to' on tier "
                f"'{band.tier}'",
            )


def _low(band: Band) -> float:
    return float("-inf") if band.low is None else band.low


def _high(band: Band) -> float:
    return float("inf") if band.high is None else band.high


def _band_words(band: Band) -> str:
    if band.low is not None and band.high is not None:
        return f"'{band.tier}' ({_number(band.low)} to {_number(band.high)})"
    if band.low is not None:
        return f"'{band.tier}' (from {_number(band.low)})"
    if band.high is not None:
        return f"'{band.tier}' (below {_number(band.high)})"
    return f"'{band.tier}' (any score)"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def check_routes(context: Context) -> None:
    """Tiers without a route, and routes for no tier."""
    spec = context.spec
    scopes: list[Segment | None] = list(spec.segments) or [None]
    for segment in scopes:
        _check_scope(context, segment)

    every_tier = {b.tier for s in [None, *spec.segments] for b in spec.tiers_for(s)}
    _check_route_names(context, spec.routes, every_tier)
    for segment in spec.segments:
        tiers = {b.tier for b in spec.tiers_for(segment)}
        _check_route_names(context, segment.routes, tiers)


def _check_scope(context: Context, segment: Segment | None) -> None:
    """Tiers and routes in force for the prospects of ``segment``."""
    spec = context.spec
    bands = spec.tiers_for(segment)
    scoring = spec.scoring + (segment.scoring if segment else ())
    knockouts = spec.knockouts + (segment.knockouts if segment else ())
    if segment is None:
        where = "/qualification" if "qualification" in spec.document else ""
        who, routes = "the form", "qualification.routes"
    else:
        where, who, routes = segment.pointer, f"segment '{segment.id}'", "routes"

    if scoring and not bands:
        context.warning(
            where,
            f"{who} has scoring rules but no tiers, so every lead is tagged "
            "'unrated'; add tiers",
        )
    needed = [b.tier for b in bands] + ([DISQUALIFIED] if knockouts else [])
    for tier in dict.fromkeys(needed):
        if spec.route_for(segment, tier) is None:
            context.error(
                where, f"{who} has no route for tier '{tier}'; add {routes}.{tier}"
            )


def _check_route_names(
    context: Context, routes: dict[str, Any], tiers: set[str]
) -> None:
    for name, route in routes.items():
        if name != DISQUALIFIED and name not in tiers:
            known = ", ".join(f"'{t}'" for t in sorted(tiers)) or "none"
            context.warning(
                route.pointer,
                f"route '{name}' is for no tier{did_you_mean(name, tiers)}; the "
                f"tiers here are {known}",
            )


def check_segments(context: Context) -> None:
    """Segments that hide the ones after them, or let prospects fall through."""
    segments = context.spec.segments
    for index, segment in enumerate(segments):
        if unconditional(segment.when) and index < len(segments) - 1:
            later = ", ".join(f"'{s.id}'" for s in segments[index + 1 :])
            context.error(
                segment.pointer,
                f"segment '{segment.id}' has no 'when', so it takes every prospect "
                f"and the segments after it ({later}) are never used; move it "
                "last or give it a 'when'",
            )
            return
    if segments and not unconditional(segments[-1].when):
        context.warning(
            "/segments",
            "every segment has a 'when', so a prospect matching none gets no "
            "segment and the tiers and routes of qualification; add a last "
            "segment without 'when' to catch them",
        )
