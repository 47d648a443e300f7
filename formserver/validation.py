"""The checks a spec's ``required`` and ``validation`` rules ask of an answer.

Each is a WTForms validator with the marketer's own message, or a short sentence
naming the field when the spec gives none.
"""

from __future__ import annotations

import datetime
from typing import Any

from wtforms import Form, fields, validators
from wtforms.validators import StopValidation, ValidationError

from .fieldtypes import clean_text
from .spec import Field


def field_validators(field: Field) -> list[Any]:
    """The validators of one spec field: presence first, then its bounds."""
    return [_presence(field), *_bounds(field)]


def _presence(field: Field) -> Any:
    if not field.required:
        return validators.Optional()
    if field.type == "consent":
        message = (
            field.required_message or f"Please tick the box to agree: {field.label}"
        )
    elif field.is_choice:
        message = (
            field.required_message or f"Please choose an answer for “{field.label}”."
        )
    else:
        message = field.required_message or f"Please fill in “{field.label}”."
    return _Required(message)


class _Required:
    """Like WTForms' InputRequired, but also rejects answers of only spaces."""

    field_flags = {"required": True}

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Form, field: fields.Field) -> None:
        posted = field.raw_data or []
        if not isinstance(field, fields.SelectMultipleField):
            # A single-valued field reads only the first of repeated values,
            # so a later one must not count as the answer being present.
            posted = posted[:1]
        present = [v for v in posted if clean_text(str(v))]
        agreed = field.type != "BooleanField" or field.data is True
        if not present or not agreed:
            field.errors[:] = []
            raise StopValidation(self.message)


def _bounds(field: Field) -> list[Any]:
    rules = field.validation
    message = rules.get("message")
    checks: list[Any] = []
    if "min_length" in rules or "max_length" in rules:
        low, high = rules.get("min_length", -1), rules.get("max_length", -1)
        text = message or _length_message(field.label, low, high)
        checks.append(validators.Length(min=low, max=high, message=text))
    if "pattern" in rules:
        text = message or f"“{field.label}” is not in the expected format."
        checks.append(validators.Regexp(rules["pattern"], message=text))
    if "min" in rules or "max" in rules:
        checks.append(_Range(rules.get("min"), rules.get("max"), field.label, message))
    if "min_choices" in rules or "max_choices" in rules:
        low, high = rules.get("min_choices", 0), rules.get("max_choices")
        checks.append(_Choices(low, high, field.label, message))
    if "min_date" in rules or "max_date" in rules:
        checks.append(
            _Dates(rules.get("min_date"), rules.get("max_date"), field, message)
        )
    return checks


def _length_message(label: str, low: int, high: int) -> str:
    if low > 0 and high > 0:
        return f"“{label}” must be between {low} and {high} characters."
    if low > 0:
        return f"“{label}” must be at least {low} characters."
    return f"“{label}” must be at most {high} characters."


class _Range:
    def __init__(
        self, low: float | None, high: float | None, label: str, message: str | None
    ) -> None:
        self.low, self.high = low, high
        if message:
            self.message = message
        elif low is not None and high is not None:
            self.message = (
                f"“{label}” must be between {_figure(low)} and {_figure(high)}."
            )
        elif low is not None:
            self.message = f"“{label}” must be at least {_figure(low)}."
        elif high is not None:
            self.message = f"“{label}” must be at most {_figure(high)}."
        else:
            self.message = f"“{label}” is out of range."

    def __call__(self, form: Form, field: fields.Field) -> None:
        value = field.data
        if value is None:
            return
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise ValidationError(self.message)


def _figure(number: float) -> str:
    """A bound as people write it: 1,000,000 rather than 1e+06."""
    if float(number).is_integer():
        return f"{int(number):,}"
    return f"{number:,}"


class _Choices:
    def __init__(self, low: int, high: int | None, label: str, message: str | None):
        self.low, self.high = low, high
        if message:
            self.message = message
        elif high is not None:
            self.message = f"Please choose between {low} and {high} for “{label}”."
        else:
            self.message = f"Please choose at least {low} for “{label}”."

    def __call__(self, form: Form, field: fields.Field) -> None:
        count = len(field.data or [])
        if count < self.low or (self.high is not None and count > self.high):
            raise ValidationError(self.message)


class _Dates:
    def __init__(
        self, low: str | None, high: str | None, field: Field, message: str | None
    ) -> None:
        self.low, self.high = low, high
        self.message = message or f"Please choose a date in range for “{field.label}”."

    def __call__(self, form: Form, field: fields.Field) -> None:
        value = field.data
        if value is None:
            return
        low, high = resolve_date(self.low), resolve_date(self.high)
        if (low and value < low) or (high and value > high):
            raise ValidationError(self.message)


def resolve_date(text: str | None) -> datetime.date | None:
    """An ISO date or ``"today"`` from a spec, as a date."""
    if not text:
        return None
    if text == "today":
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None
