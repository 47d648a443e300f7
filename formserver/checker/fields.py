"""Fields whose settings do not fit their type, and validation that cannot pass."""

from __future__ import annotations

import datetime
import re

from ..spec import Field
from .context import Context, all_fields

_TEXT_TYPES = frozenset({"text", "textarea", "email", "phone"})

#: What a field's answer is once cleaned; a bound that cannot run on that kind
#: of value makes the server fail, because forms build a check for every key.
_ANSWER_KIND = {
    "number": "number",
    "money": "number",
    "checkboxes": "list",
    "date": "date",
    "consent": "bool",
}

#: For each validation key: the field types it is meant for, and the kinds of
#: answer it can run on without failing.
_BOUNDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "min_length": (_TEXT_TYPES, frozenset({"text", "list"})),
    "max_length": (_TEXT_TYPES, frozenset({"text", "list"})),
    "pattern": (_TEXT_TYPES, frozenset({"text"})),
    "min": (frozenset({"number", "money"}), frozenset({"number", "bool"})),
    "max": (frozenset({"number", "money"}), frozenset({"number", "bool"})),
    "min_choices": (frozenset({"checkboxes"}), frozenset({"text", "list"})),
    "max_choices": (frozenset({"checkboxes"}), frozenset({"text", "list"})),
    "min_date": (frozenset({"date"}), frozenset({"date"})),
    "max_date": (frozenset({"date"}), frozenset({"date"})),
}
_PAIRS = (("min", "max"), ("min_length", "max_length"), ("min_choices", "max_choices"))


def check_fields(context: Context) -> None:
    """Options, consent text and validation that do not fit the field type."""
    for field in all_fields(context.spec):
        if field.is_choice and not field.options:
            context.error(
                field.pointer,
                f"field '{field.id}' is {field.type} but has no options; add options",
            )
        if field.options and not field.is_choice:
            context.warning(
                f"{field.pointer}/options",
                f"field '{field.id}' is {field.type}, so its options are never "
                "shown; remove them, or make it select, radio or checkboxes",
            )
        if field.type == "consent" and not field.consent_text:
            context.error(
                field.pointer,
                f"consent field '{field.id}' has no consent_text; add the exact "
                "text the prospect agrees to, so that it is kept with the lead",
            )
        _check_validation(context, field)


def _check_validation(context: Context, field: Field) -> None:
    rules = field.validation
    where = f"{field.pointer}/validation"
    for key in rules:
        if key in _BOUNDS:
            _check_bound_fits(context, field, key)
    if "pattern" in rules:
        try:
            re.compile(rules["pattern"])
        except (re.error, RecursionError, OverflowError) as error:
            context.error(
                f"{where}/pattern",
                f"the pattern of field '{field.id}' is not a valid regular "
                f"expression ({error}); fix it or remove it",
            )
    for low, high in _PAIRS:
        if low in rules and high in rules and rules[low] > rules[high]:
            context.error(
                f"{where}/{low}",
                f"field '{field.id}' has {low} {rules[low]} above {high} "
                f"{rules[high]}, so no answer can pass; swap or correct them",
            )
    _check_date_bounds(context, field)


def _check_bound_fits(context: Context, field: Field, key: str) -> None:
    meant_for, runs_on = _BOUNDS[key]
    if field.type in meant_for:
        return

    pointer = f"{field.pointer}/validation/{key}"
    types = _or_list(sorted(meant_for))
    what = f"'{key}' does not apply to field '{field.id}' ({field.type})"
    if field.type == "hidden":
        context.warning(pointer, f"{what}: hidden fields are never asked; remove it")
    elif _ANSWER_KIND.get(field.type, "text") in runs_on:
        context.warning(pointer, f"{what}; remove it (it is meant for {types})")
    else:
        context.error(
            pointer,
            f"{what} and makes the server fail when the field is answered; "
            f"remove it (it is meant for {types})",
        )


def _check_date_bounds(context: Context, field: Field) -> None:
    dates = {}
    for key in ("min_date", "max_date"):
        text = field.validation.get(key)
        if text is None or text == "today":
            continue
        try:
            dates[key] = datetime.date.fromisoformat(text)
        except ValueError:
            context.error(
                f"{field.pointer}/validation/{key}",
                f"{key} '{text}' of field '{field.id}' is not a date; write it "
                "like 2027-03-31, or write 'today'",
            )
    if len(dates) == 2 and dates["min_date"] > dates["max_date"]:
        context.error(
            f"{field.pointer}/validation/min_date",
            f"field '{field.id}' has min_date after max_date, so no date can "
            "pass; swap or correct them",
        )


def _or_list(names: list[str]) -> str:
    if len(names) == 1:
        return f"{names[0]} fields"
    return f"{', '.join(names[:-1])} or {names[-1]} fields"
