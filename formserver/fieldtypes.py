"""WTForms field classes, one per kind of spec field, that normalise answers.

What a prospect typed is cleaned before it is validated: control characters
and surrounding spaces go, emails are lower-cased, phone numbers become E.164,
and amounts such as ``2.5m`` become numbers.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from wtforms import Form, fields, widgets
from wtforms.validators import ValidationError


class TextField(fields.StringField):
    """Text stripped of surrounding spaces and control characters."""

    data: Any  # the kinds below turn the text into numbers, dates or None

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            self.data = clean_text(valuelist[0])
        else:
            self.data = None


def clean_text(value: str) -> str:
    """Strip surrounding spaces and characters that cannot be shown or stored."""
    return _CONTROL.sub("", str(value)).strip()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def normalised_email(value: str) -> str | None:
    """``value`` as the email field stores it, or None when it is no address.

    Leads are keyed on it: the address as ``email_validator`` normalises it,
    lower-cased. Anything that looks up a lead by email normalises with this.
    """
    if "@" not in value:
        return None
    try:
        address = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return address.normalized.lower()


class EmailField(TextField):
    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if not self.data:
            self.data = None
            return
        email = normalised_email(self.data)
        if email is None:
            raise ValueError(
                f"“{self.data[:80]}” does not look like an email address; "
                "please check it."
            )
        self.data = email


class PhoneField(TextField):
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


class _ParsedField(TextField):
    """Text turned into a value; the prospect's own text is shown back as typed."""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if not self.data:
            self.data = None
            return
        try:
            self.data = self.parse(self.data)
        except ValueError:
            self.data = None
            raise ValueError(self.refusal()) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else self.shown(self.data)

    def parse(self, text: str) -> Any:
        """The value ``text`` means; ValueError when it means none."""
        raise NotImplementedError

    def refusal(self) -> str:
        """The message for text that means no value."""
        raise NotImplementedError

    def shown(self, value: Any) -> str:
        """``value`` as the field shows it."""
        return str(value)


class NumberField(_ParsedField):
    suffixes = False

    def parse(self, text: str) -> int | float:
        return parse_amount(text, suffixes=self.suffixes)

    def refusal(self) -> str:
        return f"Please enter a number for “{self.label.text}”."


class DateField(_ParsedField):
    def parse(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text[:10])

    def refusal(self) -> str:
        return f"Please enter “{self.label.text}” as a date, like 2027-03-31."

    def shown(self, value: Any) -> str:
        return str(value.isoformat())


class ChoiceField(fields.SelectField):
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


class MultipleChoiceField(fields.SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: Form) -> None:
        allowed = {choice.value for choice in self.choices}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(
                f"Please choose from the answers for “{self.label.text}”."
            )


class RadioField(ChoiceField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.RadioInput()
