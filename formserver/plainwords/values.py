"""Literals, names and fields as a marketer reads them, whatever the input.

Numbers get thousands separators, option values their option labels, other
text curly quotes; anything else is shown as compact JSON, cut short.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..logic import is_operation
from ..spec import Field, Option, Spec

#: Values listed from a list before the rest are counted ("and 3 more").
MAX_LISTED = 12

ITEM = "the item"


def field_by_name(name: str, spec: Spec | None) -> Field | None:
    """The field called ``name``; ``segment`` as a choice of the segments."""
    if spec is None:
        return None
    if name == "segment" and name not in spec.fields_by_id:
        options = tuple(Option(s.id, s.label or s.id) for s in spec.segments)
        return Field("segment", "radio", "the segment", "", options=options)
    return spec.fields_by_id.get(name)


def var_name(value: Any) -> str | None:
    """The name a ``{"var": …}`` reads, when it is plain text."""
    if not (is_operation(value) and "var" in value):
        return None
    name = value["var"]
    if isinstance(name, list):
        name = name[0] if name else ""
    return name if isinstance(name, str) else None


def plain_var(value: Any) -> bool:
    """Whether ``value`` reads one answer by name, without a default."""
    if var_name(value) is None:
        return False
    name = value["var"]
    return not isinstance(name, list) or len(name) < 2


def is_literal(value: Any) -> bool:
    return not is_operation(value) and not isinstance(value, list)


def literal(value: Any, subject: Field | None) -> str:
    """A literal as a marketer reads it; option values by their labels."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, str):
        for option in subject.options if subject is not None else ():
            if option.value == value:
                return short(option.label, 80)
        return quoted(value)
    return compact(value)


def number(value: float) -> str:
    if isinstance(value, int):
        return f"{value:,}" if value.bit_length() < 128 else "a huge number"
    if math.isnan(value):
        return "not a number"
    if math.isinf(value):
        return "infinity" if value > 0 else "minus infinity"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,}"


def is_zero(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 1e9


def characters(count: int) -> str:
    return "1 character" if count == 1 else f"{count:,} characters"


def quoted(text: str) -> str:
    return f"“{short(text, 40)}”"


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def listing(items: list[str], joiner: str, total: int | None = None) -> str:
    """``A, B or C``; past :data:`MAX_LISTED` items, the rest are counted."""
    total = len(items) if total is None else total
    if total > MAX_LISTED:
        return f"{', '.join(items[:MAX_LISTED])} {joiner} {total - MAX_LISTED} more"
    if len(items) < 2:
        return items[0] if items else "nothing"
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"


def compact(value: Any, limit: int = 80) -> str:
    """Compact JSON of any value, cut short; safe for any depth or type."""
    return short(_json(value, 0), limit)


def _json(value: Any, depth: int) -> str:
    if depth > 6:
        return "…"
    if isinstance(value, dict):
        pairs = list(value.items())[:8]
        inner = ",".join(
            f"{_json(str(k), depth)}:{_json(v, depth + 1)}" for k, v in pairs
        )
        return "{" + inner + (",…" if len(value) > 8 else "") + "}"
    if isinstance(value, list | tuple):
        inner = ",".join(_json(v, depth + 1) for v in value[:8])
        return "[" + inner + (",…" if len(value) > 8 else "") + "]"
    if isinstance(value, str):
        return json.dumps(short(value, 60), ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return number(value).replace(",", "")
    return json.dumps(short(repr(value), 40))
