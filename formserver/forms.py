"""WTForms form classes built from a step's fields.

One class is built per spec version, step and set of shown fields, and cached.
The flow engine validates every step through these classes, and the web layer
renders them, so the browser and the server ask the same questions with the same
rules and messages.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from wtforms import Form, fields, validators, widgets
from wtforms.fields.choices import SelectChoice

from .fieldtypes import (
    ChoiceField,
    DateField,
    EmailField,
    MultipleChoiceField,
    NumberField,
    PhoneField,
    RadioField,
    TextField,
)
from .spec import Field, Spec
from .validation import field_validators

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
    keywords: dict[str, Any] = {
        "label": field.label,
        "validators": field_validators(field),
        "description": field.help,
    }
    factory = _FACTORIES[field.type]
    return factory(field, keywords)


def _choices(field: Field) -> list[SelectChoice]:
    return [SelectChoice(o.value, o.label) for o in field.options]


def _text(field: Field, keywords: dict[str, Any]) -> fields.Field:
    keywords["validators"].append(
        validators.Length(max=MAX_TEXT, message=_too_long(field))
    )
    return TextField(**keywords)


def _textarea(field: Field, keywords: dict[str, Any]) -> fields.Field:
    limit = validators.Length(max=MAX_TEXTAREA, message=_too_long(field))
    keywords["validators"].append(limit)
    return type("_TextArea", (TextField,), {"widget": widgets.TextArea()})(**keywords)


def _too_long(field: Field) -> str:
    return f"“{field.label}” is too long; please shorten it."


def _phone(field: Field, keywords: dict[str, Any]) -> fields.Field:
    return type("_Phone", (PhoneField,), {"region": field.region})(**keywords)


def _number(field: Field, keywords: dict[str, Any]) -> fields.Field:
    suffixes = field.type == "money"
    return type("_Number", (NumberField,), {"suffixes": suffixes})(**keywords)


def _select(field: Field, keywords: dict[str, Any]) -> fields.Field:
    choices = [SelectChoice("", "Choose…"), *_choices(field)]
    return ChoiceField(choices=choices, validate_choice=False, **keywords)


def _radio(field: Field, keywords: dict[str, Any]) -> fields.Field:
    return RadioField(choices=_choices(field), validate_choice=False, **keywords)


def _checkboxes(field: Field, keywords: dict[str, Any]) -> fields.Field:
    return MultipleChoiceField(choices=_choices(field), **keywords)


_FACTORIES = {
    "text": _text,
    "email": lambda f, k: EmailField(**k),
    "phone": _phone,
    "number": _number,
    "money": _number,
    "select": _select,
    "radio": _radio,
    "checkboxes": _checkboxes,
    "textarea": _textarea,
    "date": lambda f, k: DateField(**k),
    "consent": lambda f, k: fields.BooleanField(**k),
    "hidden": lambda f, k: TextField(**k),
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
