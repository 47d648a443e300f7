"""JavaScript's values: its coercions and comparisons, for JSON data.

json-logic-js leans on JavaScript's ``Number()``, ``String()``, ``parseFloat``,
``==``, ``===`` and ``<``; this module reproduces them so that the server's
:mod:`formserver.logic` agrees with ``static/js/logic.js`` on every rule.
"""

from __future__ import annotations

import math
import re
from typing import Any

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NUMBER_PREFIX = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def to_number(value: Any) -> float:
    """JavaScript's ``Number(value)``."""
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | dict):
        return to_number(to_string(value))
    text = str(value).strip()
    if text == "":
        return 0.0
    if text.lstrip("+-") == "Infinity":
        return -math.inf if text.startswith("-") else math.inf
    if _NUMBER.match(text):
        return float(text)
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
        return float(int(text, 16))
    return math.nan


def parse_float(value: Any) -> float:
    """JavaScript's ``parseFloat(value)``: the longest numeric prefix."""
    text = to_string(value).lstrip()
    if text.lstrip("+-").startswith("Infinity"):
        return -math.inf if text.startswith("-") else math.inf
    match = _NUMBER_PREFIX.match(text)
    return float(match.group(0)) if match else math.nan


def to_string(value: Any) -> str:
    """JavaScript's ``String(value)``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_string(value)
    if isinstance(value, list):
        return ",".join("" if v is None else to_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _number_string(number: float) -> str:
    if isinstance(number, int) and abs(number) < 10**21:
        return str(number)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    mantissa, _, exponent = repr(abs(float(number))).partition("e")
    whole, _, fraction = mantissa.partition(".")
    written = whole + fraction
    digits = written.lstrip("0")
    position = len(whole) + int(exponent or 0) - (len(written) - len(digits))
    return sign + _place_point(digits.rstrip("0") or "0", position)


def _place_point(digits: str, position: int) -> str:
    """Write ``0.digits × 10**position`` the way JavaScript prints numbers."""
    if -6 < position <= 21:
        if position <= 0:
            return "0." + "0" * -position + digits
        if position >= len(digits):
            return digits + "0" * (position - len(digits))
        return digits[:position] + "." + digits[position:]
    exponent = position - 1
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{head}e{'+' if exponent > 0 else '-'}{abs(exponent)}"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def strict_equals(a: Any, b: Any) -> bool:
    """JavaScript's ``a === b`` for JSON values (objects equal only themselves)."""
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == "object":
        return a is b
    if kind == "number":
        return float(a) == float(b)
    return bool(a == b)


def loose_equals(a: Any, b: Any) -> bool:
    """JavaScript's ``a == b`` for JSON values."""
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a == kind_b:
        return strict_equals(a, b)
    if "null" in (kind_a, kind_b):
        return False
    if kind_a == "boolean":
        return loose_equals(to_number(a), b)
    if kind_b == "boolean":
        return loose_equals(a, to_number(b))
    if kind_a == "object":
        return loose_equals(to_string(a), b)
    if kind_b == "object":
        return loose_equals(a, to_string(b))
    return to_number(a) == to_number(b)


def _less(a: Any, b: Any) -> bool | None:
    """JavaScript's ``a < b``; None where JavaScript compares with NaN."""
    if isinstance(a, list | dict):
        a = to_string(a)
    if isinstance(b, list | dict):
        b = to_string(b)
    if isinstance(a, str) and isinstance(b, str):
        return a < b
    x, y = to_number(a), to_number(b)
    if math.isnan(x) or math.isnan(y):
        return None
    return x < y


def less_than(a: Any, b: Any) -> bool:
    """JavaScript's ``a < b``: false where either side is NaN."""
    return _less(a, b) is True


def less_or_equal(a: Any, b: Any) -> bool:
    """JavaScript's ``a <= b``: ``!(b < a)``, except that NaN makes it false."""
    return _less(b, a) is False
