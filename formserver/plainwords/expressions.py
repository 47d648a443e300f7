"""Expressions read as phrases: answers, logic, calculations, text and lists.

Each reading returns None when the arguments have no plain reading, and the
rule is then shown as compact JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..logic import SCOPED_OPERATORS, is_operation
from .values import ITEM, MAX_LISTED, characters, is_whole, is_zero, listing, var_name

if TYPE_CHECKING:
    from .reading import Scope

_ARITHMETIC = {"+": "+", "-": "−", "*": "×", "/": "÷"}


def _var(operator: str, args: list[Any], scope: Scope) -> str | None:
    name = args[0] if args else None
    text = scope.name(name)
    if len(args) > 1:
        text += f" (or {scope.operand(args[1], None)} when not answered)"
    return text


def _and_or(operator: str, args: list[Any], scope: Scope) -> str | None:
    if not args:
        return "never"
    parts = []
    for arg in args[:MAX_LISTED]:
        text = scope.condition(arg)
        other = is_operation(arg) and next(iter(arg)) in ("and", "or", "if", "?:")
        parts.append(f"({text})" if other and next(iter(arg)) != operator else text)
    if len(args) > MAX_LISTED:
        parts.append(f"{len(args) - MAX_LISTED:,} more conditions")
    return f" {operator} ".join(parts)


def _if(operator: str, args: list[Any], scope: Scope) -> str | None:
    if not args:
        return None
    if len(args) == 1:
        return scope.operand(args[0], None)
    parts = [
        f"if {scope.condition(args[i])} then {scope.operand(args[i + 1], None)}"
        for i in range(0, len(args) - 1, 2)
    ]
    if len(args) % 2:
        parts.append(f"otherwise {scope.operand(args[-1], None)}")
    return ", ".join(parts)


def _arithmetic(operator: str, args: list[Any], scope: Scope) -> str | None:
    if not args:
        return None
    terms = [scope.term(arg) for arg in args[:MAX_LISTED]]
    if operator == "-" and len(args) == 1:
        return f"−{terms[0]}"
    if len(args) == 1:
        return f"{terms[0]} as a number" if operator == "+" else terms[0]
    if operator in ("-", "/"):
        terms = terms[:2]
    return f" {_ARITHMETIC[operator]} ".join(terms)


def _remainder(operator: str, args: list[Any], scope: Scope) -> str | None:
    if len(args) < 2:
        return None
    return f"the remainder of {scope.term(args[0])} ÷ {scope.term(args[1])}"


def _extreme(operator: str, args: list[Any], scope: Scope) -> str | None:
    if not args:
        return None
    values = [scope.operand(arg, None) for arg in args[: MAX_LISTED + 1]]
    if len(args) == 1:
        return values[0]
    which = "largest" if operator == "max" else "smallest"
    return f"the {which} of {listing(values, 'and', len(args))}"


def _cat(operator: str, args: list[Any], scope: Scope) -> str | None:
    if not args:
        return None
    parts = [scope.operand(arg, None) for arg in args[:MAX_LISTED]]
    if len(args) == 1:
        return f"{parts[0]} as text"
    return " followed by ".join(parts)


def _substr(operator: str, args: list[Any], scope: Scope) -> str | None:
    if not args:
        return None
    text = scope.term(args[0])
    start = args[1] if len(args) > 1 else 0
    length = args[2] if len(args) > 2 else None
    if not is_whole(start) or not (length is None or is_whole(length)):
        return None
    if length is None:
        if start >= 0:
            return f"{text} from character {start + 1} on" if start else text
        return f"the last {characters(-start)} of {text}"
    if start == 0 and length >= 0:
        return f"the first {characters(length)} of {text}"
    if start == 0:
        return f"{text} without its last {characters(-length)}"
    where = f"character {start + 1}" if start > 0 else f"{-start} from the end"
    if length < 0:
        return f"{text} from {where} on, without its last {characters(-length)}"
    return f"{characters(length)} of {text} from {where}"


def _merge(operator: str, args: list[Any], scope: Scope) -> str | None:
    if not args:
        return None
    parts = [scope.operand(arg, None) for arg in args[: MAX_LISTED + 1]]
    return f"the combined list of {listing(parts, 'and', len(args))}"


def _scoped(operator: str, args: list[Any], scope: Scope) -> str | None:
    if len(args) < 2:
        return None
    items, logic = args[0], args[1]
    items_text = scope.term(items)
    subject = scope.field_of(items)
    inner = replace(scope, in_items=True, reducing=False, item_field=subject)
    if operator == "reduce":
        return _reduce(items_text, logic, args[2] if len(args) > 2 else None, scope)
    if operator == "map":
        return f"{inner.operand(logic, None)} for each item of {items_text}"
    if operator == "filter":
        return f"the items of {items_text} where {inner.condition(logic)}"
    return _quantified(operator, items_text, logic, inner)


def _quantified(operator: str, items: str, logic: Any, scope: Scope) -> str:
    clause = scope.clause(logic)
    chosen = scope.item_field is not None and scope.item_field.type == "checkboxes"
    if clause is not None and clause.subject == ITEM and ITEM not in clause.object:
        if chosen and operator in ("some", "none") and clause.verb == "is":
            verb = "includes" if operator == "some" else "does not include"
            return f"{items} {verb} {clause.object}"
        if chosen and operator in ("some", "none") and clause.verb == "is one of":
            which = "any of" if operator == "some" else "none of"
            return f"{items} includes {which} {clause.object}"
        quantity = {"some": "any of", "all": "each of", "none": "none of"}[operator]
        return f"{quantity} {items} {clause.verb} {clause.object}".rstrip()
    quantity = {"some": "some", "all": "every", "none": "no"}[operator]
    return f"for {quantity} item of {items}: {scope.condition(logic)}"


def _reduce(items: str, logic: Any, initial: Any, scope: Scope) -> str:
    if is_zero(initial) and is_operation(logic) and "+" in logic:
        raw = logic["+"]
        names = sorted(var_name(a) or repr(a) for a in raw if isinstance(raw, list))
        if names == ["1", "accumulator"]:
            return f"the number of items in {items}"
        if names == ["accumulator", "current"]:
            return f"the sum of {items}"
    inner = replace(scope, reducing=True, in_items=False, item_field=None)
    start = scope.operand(initial, None)
    step = inner.operand(logic, None)
    return f"{items} combined, starting from {start}, by {step}"


EXPRESSIONS: dict[str, Callable[[str, list[Any], Scope], str | None]] = {
    "var": _var,
    "and": _and_or,
    "or": _and_or,
    "if": _if,
    "?:": _if,
    **dict.fromkeys(_ARITHMETIC, _arithmetic),
    "%": _remainder,
    "max": _extreme,
    "min": _extreme,
    "cat": _cat,
    "substr": _substr,
    "merge": _merge,
    **dict.fromkeys(SCOPED_OPERATORS, _scoped),
}
