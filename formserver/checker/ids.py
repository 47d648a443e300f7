"""Ids used twice, names kept for the engine, and ids that nothing defines."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..problems import did_you_mean
from ..spec import Goto
from .context import SEGMENT_VAR, Context, all_fields, all_rules


def _repeats(items: Iterable[Any], key: str) -> Iterator[tuple[Any, Any]]:
    """Each item whose ``key`` was seen before, with the first item that had it."""
    first: dict[str, Any] = {}
    for item in items:
        name = getattr(item, key)
        if name in first:
            yield item, first[name]
        elif name:
            first[name] = item


def check_duplicates(context: Context) -> None:
    """Steps, fields, segments and rules that share an id."""
    spec = context.spec
    for step, first in _repeats(spec.steps, "id"):
        context.error(
            f"{step.pointer}/id",
            f"step id '{step.id}' is already used at {first.pointer}; "
            "give each step its own id",
        )
    for field, first in _repeats(all_fields(spec), "id"):
        context.error(
            f"{field.pointer}/id",
            f"field id '{field.id}' is already used at {first.pointer}; field ids "
            "must be unique across the whole form",
        )
    for segment, first in _repeats(spec.segments, "id"):
        context.error(
            f"{segment.pointer}/id",
            f"segment id '{segment.id}' is already used at {first.pointer}; "
            "give each segment its own id",
        )
    for rule, first in _repeats(all_rules(spec), "id"):
        context.warning(
            f"{rule.pointer}/id",
            f"rule id '{rule.id}' is already used at {first.pointer}; give each "
            "rule its own id so that the reasons on a lead can be told apart",
        )


def check_option_values(context: Context) -> None:
    """Choice fields that list the same option value twice."""
    for field in all_fields(context.spec):
        seen: set[str] = set()
        for index, option in enumerate(field.options):
            if option.value in seen:
                context.error(
                    f"{field.pointer}/options/{index}/value",
                    f"field '{field.id}' lists the option value '{option.value}' "
                    "twice; give each option its own value",
                )
            seen.add(option.value)


def check_reserved_names(context: Context) -> None:
    """Fields and captured parameters named like something the engine sets."""
    spec = context.spec
    for field in all_fields(spec):
        if field.id == SEGMENT_VAR:
            context.error(
                f"{field.pointer}/id",
                "the field id 'segment' is reserved: conditions read the "
                "prospect's segment under that name; rename the field",
            )
        elif field.id in spec.capture and field.type != "hidden":
            context.error(
                f"{field.pointer}/id",
                f"field '{field.id}' has the name of a captured landing-URL "
                "parameter, so the answer and the captured value overwrite each "
                f"other; rename the field, or make it hidden to keep the value",
            )
    if SEGMENT_VAR in spec.capture and "capture" in spec.document:
        index = spec.capture.index(SEGMENT_VAR)
        context.error(
            f"/capture/{index}",
            "'segment' cannot be captured: conditions read the prospect's "
            "segment under that name; remove it from capture",
        )


def _target_pointer(goto: Goto) -> str:
    """Where a branch names its step: ``next`` itself when written as a string."""
    return goto.pointer if goto.pointer.endswith("/next") else f"{goto.pointer}/goto"


def check_references(context: Context) -> None:
    """Branches, segments and lead fields naming steps or fields never defined."""
    spec = context.spec
    steps = list(spec.steps_by_id)
    for step in spec.steps:
        for goto in step.next:
            if goto.step not in spec.steps_by_id:
                context.error(
                    _target_pointer(goto),
                    f"step '{step.id}' sends to '{goto.step}', which no step "
                    f"defines{did_you_mean(goto.step, steps)}",
                )
    for segment in spec.segments:
        for index, name in enumerate(segment.steps):
            if name not in spec.steps_by_id:
                context.error(
                    f"{segment.pointer}/steps/{index}",
                    f"segment '{segment.id}' lists step '{name}', which no step "
                    f"defines{did_you_mean(name, steps)}",
                )
    written = "lead_fields" in spec.document
    for index, name in enumerate(spec.lead_fields):
        if name not in spec.fields_by_id:
            where = "" if not written else f"/lead_fields/{index}"
            default = "" if written else ' (lead_fields defaults to ["email"])'
            context.error(
                where,
                f"the lead field '{name}'{default} is not a field of this form"
                f"{did_you_mean(name, spec.fields_by_id)}; add a field with that "
                "id or change lead_fields",
            )
