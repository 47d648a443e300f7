"""WTForms form classes built from a step's fields, with normalisation.

One class is built per spec version, step and set of shown fields, and cached.
The flow engine validates every step through these classes, and the web layer
renders them, so the browser and the server ask the same questions with the same
rules and messages.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from wtforms import Form, fields, validators, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

from .spec import Field, Spec

MAX_TEXT = 2000
MAX_TEXTAREA = 10000


class FormData:
    """A read-only multi-dict over submitted values, as WTForms expects."""

    def __init__(self, values: Mapping[str, Iterable[str]]) -> None:
        self._values = {k: list(v) for k, v in values.items()}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def getlist(self, key: str) -> list[str]:
        return self._values.get(key, [])


def form_class(spec: Spec, step_id: str, field_ids: tuple[str, ...]) -> type[Form]:
    """The WTForms class that asks ``field_ids`` of ``step_id``."""
    return _form_class(spec.version, spec, step_id, field_ids)


@lru_cache(maxsize=2048)
def _form_class(
    version: str, spec: Spec, step_id: str, field_ids: tuple[str, ...]
) -> type[Form]:
    attributes = {
        field_id: _wtforms_field(spec.fields_by_id[field_id]) for field_id in field_ids
    }
    return type(f"Step_{step_id}", (Form,), attributes)


def _wtforms_field(field: Field) -> fields.Field:
    checks = [_presence(field)] + _bounds(field)
    keywords: dict[str, Any] = {
        "label": field.label,
        "validators": checks,
        "description": field.help,
    }
    factory = _FACTORIES[field.type]
    return factory(field, keywords)


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
        else:
            self.message = f"“{label}” must be at most {_figure(high)}."

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


class _TextField(fields.StringField):
    """Text stripped of surrounding spaces and control characters."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            self.data = clean_text(valuelist[0])
        else:
            self.data = None


def clean_text(value: str) -> str:
    """Strip surrounding spaces and characters that cannot be shown or stored."""
    return _CONTROL.sub("", str(value)).strip()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class _EmailField(_TextField):
    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if not self.data:
            self.data = None
            return
        try:
            address = validate_email(self.data, check_deliverability=False)
        except EmailNotValidError:
            raise ValueError(
                f"“{self.data[:80]}” does not look like an email address; "
                "please check it."
            ) from None
        self.data = address.normalized.lower()


class _PhoneField(_TextField):
    region = ""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if not self.data:
            self.data = None
            return
        message = (
            "Please enter a phone number we can call, with the country code "
            "if it is not local."
        )
        try:
            number = phonenumbers.parse(self.data[:40], self.region or None)
        except phonenumbers.NumberParseException:
            raise ValueError(message) from None
        if not phonenumbers.is_valid_number(number):
            raise ValueError(message)
        self.data = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.E164
        )


_AMOUNT = re.compile(r"^([0-9]*\.?[0-9]+)\s*([km]?)$", re.IGNORECASE)


def parse_amount(text: str, *, suffixes: bool) -> int | float:
    """A number typed by a person: spaces, commas and currency signs are ignored."""
    cleaned = re.sub(r"[\s,_'€$£]", "", text)
    negative = cleaned.startswith("-")
    match = _AMOUNT.match(cleaned.lstrip("-"))
    if not match or (match.group(2) and not suffixes) or len(cleaned) > 30:
        raise ValueError("not a number")
    try:
        amount = Decimal(match.group(1))
    except InvalidOperation:
        raise ValueError("not a number") from None
    amount *= {"": 1, "k": 1000, "m": 1_000_000}[match.group(2).lower()]
    if negative:
        amount = -amount
    return int(amount) if amount == amount.to_integral_value() else float(amount)


class _NumberField(_TextField):
    suffixes = False

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if not self.data:
            self.data = None
            return
        try:
            self.data = parse_amount(self.data, suffixes=self.suffixes)
        except ValueError:
            self.data = None
            raise ValueError(
                f"Please enter a number for “{self.label.text}”."
            ) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)


class _DateField(_TextField):
    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if not self.data:
            self.data = None
            return
        try:
            self.data = datetime.date.fromisoformat(self.data[:10])
        except ValueError:
            self.data = None
            raise ValueError(
                f"Please enter “{self.label.text}” as a date, like 2027-03-31."
            ) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.isoformat() if self.data else ""


class _ChoiceField(fields.SelectField):
    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            self.data = clean_text(valuelist[0]) or None

    def pre_validate(self, form: Form) -> None:
        if self.data in (None, ""):
            return
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(
                f"Please choose one of the answers for “{self.label.text}”."
            )


class _MultipleChoiceField(fields.SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: Form) -> None:
        allowed = {choice.value for choice in self.choices}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(
                f"Please choose from the answers for “{self.label.text}”."
            )


class _RadioField(_ChoiceField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.RadioInput()


def _choices(field: Field) -> list[SelectChoice]:
    return [SelectChoice(o.value, o.label) for o in field.options]


def _text(field: Field, keywords: dict[str, Any]) -> fields.Field:
    keywords["validators"].append(
        validators.Length(max=MAX_TEXT, message=_too_long(field))
    )
    return _TextField(**keywords)


def _textarea(field: Field, keywords: dict[str, Any]) -> fields.Field:
    limit = validators.Length(max=MAX_TEXTAREA, message=_too_long(field))
    keywords["validators"].append(limit)
    return type("_TextArea", (_TextField,), {"widget": widgets.TextArea()})(**keywords)


def _too_long(field: Field) -> str:
    return f"“{field.label}” is too long; please shorten it."


def _phone(field: Field, keywords: dict[str, Any]) -> fields.Field:
    return type("_Phone", (_PhoneField,), {"region": field.region})(**keywords)


def _number(field: Field, keywords: dict[str, Any]) -> fields.Field:
    suffixes = field.type == "money"
    return type("_Number", (_NumberField,), {"suffixes": suffixes})(**keywords)


def _select(field: Field, keywords: dict[str, Any]) -> fields.Field:
    choices = [SelectChoice("", "Choose…"), *_choices(field)]
    return _ChoiceField(choices=choices, validate_choice=False, **keywords)


def _radio(field: Field, keywords: dict[str, Any]) -> fields.Field:
    return _RadioField(choices=_choices(field), validate_choice=False, **keywords)


def _checkboxes(field: Field, keywords: dict[str, Any]) -> fields.Field:
    return _MultipleChoiceField(choices=_choices(field), **keywords)


_FACTORIES = {
    "text": _text,
    "email": lambda f, k: _EmailField(**k),
    "phone": _phone,
    "number": _number,
    "money": _number,
    "select": _select,
    "radio": _radio,
    "checkboxes": _checkboxes,
    "textarea": _textarea,
    "date": lambda f, k: _DateField(**k),
    "consent": lambda f, k: fields.BooleanField(**k),
    "hidden": lambda f, k: _TextField(**k),
}


def answer_value(field: Field, data: Any) -> Any:
    """A validated WTForms value as the JSON value stored in the answers."""
    if field.type == "consent":
        return bool(data)
    if field.type == "checkboxes":
        return list(data or [])
    if isinstance(data, datetime.date):
        return data.isoformat()
    if data == "":
        return None
    return data
