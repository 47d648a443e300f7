"""Conditions: JsonLogic rules over a prospect's answers and profile.

The browser runs the same rules with ``static/js/logic.js``; both follow the
classic JsonLogic semantics of json-logic-js, JavaScript's coercions included
(those live in :mod:`formserver.jsvalues`), and both are tested against the
classic conformance suite and against each other so that the server and the page
cannot disagree on a rule.

Known deviation from "a library beats our own code": the Python JsonLogic
libraries on PyPI disagree with json-logic-js on loose equality (``null == 0``),
``%`` of negative numbers, ``cat`` with null and ``missing`` of empty strings,
which would let a field show in the browser and not on the server. This module
therefore implements the operators itself, in the same shape as logic.js.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, TypeGuard

from .jsvalues import (
    less_or_equal,
    less_than,
    loose_equals,
    parse_float,
    strict_equals,
    to_number,
    to_string,
)

#: Operators a spec may use. The classic ``log`` (a side effect) and ``method``
#: (calls into the host language) are deliberately left out.
OPERATORS = frozenset(
    "var missing missing_some if ?: == === != !== ! !! or and > >= < <= max min"
    " + - * / % in cat substr merge map filter reduce all none some".split(" ")
)

#: Operators whose later arguments are evaluated against each item of an array,
#: so the vars inside them do not name fields.
SCOPED_OPERATORS = frozenset({"map", "filter", "reduce", "all", "none", "some"})


class LogicError(ValueError):
    """A rule could not be evaluated."""


def evaluate(rule: Any, data: Any = None) -> Any:
    """Evaluate a JsonLogic ``rule`` against ``data`` and return its result."""
    try:
        return _apply(rule, data)
    except RecursionError:
        raise LogicError("The rule is nested too deeply to evaluate.") from None


def holds(rule: Any, data: Any) -> bool:
    """Whether ``rule`` is truthy for ``data``; a missing rule always holds."""
    if rule is None:
        return True
    return truthy(evaluate(rule, data))


def truthy(value: Any) -> bool:
    """JsonLogic truthiness: like JavaScript, except that ``[]`` is false."""
    if isinstance(value, list):
        return len(value) > 0
    if isinstance(value, dict):
        return True
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def _apply(rule: Any, data: Any) -> Any:
    if isinstance(rule, list):
        return [_apply(item, data) for item in rule]
    if not is_operation(rule):
        return rule

    ((operator, raw),) = rule.items()
    args = raw if isinstance(raw, list) else [raw]
    if operator in ("if", "?:"):
        return _if(args, data)
    if operator in ("and", "or"):
        return _and_or(operator == "or", args, data)
    if operator in SCOPED_OPERATORS:
        return _scoped(operator, args, data)
    if operator not in _OPERATIONS:
        raise LogicError(f"Unrecognized operation {operator}")
    return _OPERATIONS[operator]([_apply(arg, data) for arg in args], data)


def _if(args: list[Any], data: Any) -> Any:
    index = 0
    while index < len(args) - 1:
        if truthy(_apply(args[index], data)):
            return _apply(args[index + 1], data)
        index += 2
    return _apply(args[index], data) if index == len(args) - 1 else None


def _and_or(is_or: bool, args: list[Any], data: Any) -> Any:
    current = None
    for arg in args:
        current = _apply(arg, data)
        if truthy(current) is is_or:
            return current
    return current


def _scoped(operator: str, args: list[Any], data: Any) -> Any:
    items = _apply(args[0], data) if args else None
    logic = args[1] if len(args) > 1 else None
    if operator == "reduce":
        initial = _apply(args[2], data) if len(args) > 2 else None
        if not isinstance(items, list):
            return initial
        for current in items:
            initial = _apply(logic, {"current": current, "accumulator": initial})
        return initial

    if not isinstance(items, list):
        return {"map": [], "filter": [], "all": False, "some": False}.get(
            operator, True
        )
    if operator == "map":
        return [_apply(logic, item) for item in items]
    if operator == "filter":
        return [item for item in items if truthy(_apply(logic, item))]
    results = (truthy(_apply(logic, item)) for item in items)
    if operator == "all":
        return bool(items) and all(results)
    if operator == "some":
        return any(results)
    return not any(results)


def _between(test: Callable[[Any, Any], bool]) -> Callable[[list[Any], Any], bool]:
    def compare(args: list[Any], data: Any) -> bool:
        a, b = _arg(args, 0), _arg(args, 1)
        if len(args) > 2:
            return test(a, b) and test(b, args[2])
        return test(a, b)

    return compare


def _arg(args: list[Any], index: int) -> Any:
    return args[index] if index < len(args) else None


def _get_var(data: Any, name: Any, fallback: Any = None) -> Any:
    if name is None or name == "":
        return data
    for key in to_string(name).split("."):
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list | str) and key == "length":
            data = len(data)
        elif isinstance(data, list | str) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return fallback
    return data


def _missing(data: Any, args: list[Any]) -> list[Any]:
    keys = args[0] if args and isinstance(args[0], list) else args
    return [k for k in keys if _get_var(data, k) in (None, "")]


def _missing_some(args: list[Any], data: Any) -> list[Any]:
    need, keys = _arg(args, 0), _arg(args, 1)
    if keys is None:
        raise LogicError("missing_some needs a count and a list of names")
    absent = _missing(data, [keys])
    # Like JavaScript, a single name counts by its length.
    count = len(keys) if isinstance(keys, list | str) else math.nan
    return [] if count - len(absent) >= to_number(need) else absent


def _sum(args: list[Any], data: Any) -> float:
    total = 0.0
    for value in args:
        total = total + parse_float(value)
    return total


def _product(args: list[Any], data: Any) -> Any:
    if not args:
        raise LogicError("Reduce of empty array with no initial value")
    if len(args) == 1:
        return args[0]
    total = parse_float(args[0])
    for value in args[1:]:
        total = total * parse_float(value)
    return total


def _minus(args: list[Any], data: Any) -> float:
    if len(args) < 2:
        return -to_number(_arg(args, 0))
    return to_number(args[0]) - to_number(args[1])


def _divide(args: list[Any], data: Any) -> float:
    x, y = to_number(_arg(args, 0)), to_number(_arg(args, 1))
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1, y)
    return x / y


def _remainder(args: list[Any], data: Any) -> float:
    x, y = to_number(_arg(args, 0)), to_number(_arg(args, 1))
    if y == 0 or math.isinf(x) or math.isnan(x) or math.isnan(y):
        return math.nan
    return math.fmod(x, y)


def _extreme(
    pick: Callable[..., float], empty: float
) -> Callable[[list[Any], Any], float]:
    def compute(args: list[Any], data: Any) -> float:
        numbers = [to_number(a) for a in args]
        if any(math.isnan(n) for n in numbers):
            return math.nan
        return pick(numbers) if numbers else empty

    return compute


def _in(args: list[Any], data: Any) -> bool:
    needle, haystack = _arg(args, 0), _arg(args, 1)
    if isinstance(haystack, str):
        return to_string(needle) in haystack
    if isinstance(haystack, list):
        return any(strict_equals(needle, item) for item in haystack)
    return False


def _substr(args: list[Any], data: Any) -> str:
    text = to_string(_arg(args, 0))
    start = _integer(_arg(args, 1))
    if start < 0:
        start = max(len(text) + start, 0)
    if len(args) < 3:
        return text[start:]
    length = _integer(args[2])
    if length < 0:
        tail = text[start:]
        return tail[: max(len(tail) + length, 0)]
    return text[start : start + length]


def _integer(value: Any) -> int:
    number = to_number(value)
    if math.isnan(number):
        return 0
    if math.isinf(number):
        return 10**9 if number > 0 else -(10**9)
    return int(number)


def _merge(args: list[Any], data: Any) -> list[Any]:
    merged: list[Any] = []
    for value in args:
        merged.extend(value if isinstance(value, list) else [value])
    return merged


def _not(function: Callable[[Any, Any], bool]) -> Callable[[list[Any], Any], bool]:
    return lambda args, data: not function(_arg(args, 0), _arg(args, 1))


_OPERATIONS: dict[str, Callable[[list[Any], Any], Any]] = {
    "==": lambda args, data: loose_equals(_arg(args, 0), _arg(args, 1)),
    "===": lambda args, data: strict_equals(_arg(args, 0), _arg(args, 1)),
    "!=": _not(loose_equals),
    "!==": _not(strict_equals),
    "<": _between(less_than),
    "<=": _between(less_or_equal),
    ">": lambda args, data: less_than(_arg(args, 1), _arg(args, 0)),
    ">=": lambda args, data: less_or_equal(_arg(args, 1), _arg(args, 0)),
    "!": lambda args, data: not truthy(_arg(args, 0)),
    "!!": lambda args, data: truthy(_arg(args, 0)),
    "+": _sum,
    "*": _product,
    "-": _minus,
    "/": _divide,
    "%": _remainder,
    "max": _extreme(max, -math.inf),
    "min": _extreme(min, math.inf),
    "in": _in,
    "cat": lambda args, data: "".join("" if a is None else to_string(a) for a in args),
    "substr": _substr,
    "merge": _merge,
    "var": lambda args, data: _get_var(data, _arg(args, 0), _arg(args, 1)),
    "missing": lambda args, data: _missing(data, args),
    "missing_some": _missing_some,
}


def operators_in(rule: Any) -> Iterator[tuple[str, str]]:
    """Yield ``(json_pointer, operator)`` for every operation inside ``rule``."""
    yield from _walk_operators(rule, "")


def _walk_operators(rule: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(rule, list):
        for index, item in enumerate(rule):
            yield from _walk_operators(item, f"{pointer}/{index}")
    elif is_operation(rule):
        ((operator, args),) = rule.items()
        yield pointer, operator
        yield from _walk_operators(args, f"{pointer}/{_escape(operator)}")


def variables_in(rule: Any) -> set[str]:
    """The top-level names a rule reads with ``var`` (``a.b`` reads ``a``).

    Vars inside the per-item arguments of ``map``, ``all`` and the like read the
    item, not the answers, and are not reported.
    """
    names: set[str] = set()
    _collect_variables(rule, names)
    return names


def _collect_variables(rule: Any, names: set[str]) -> None:
    if isinstance(rule, list):
        for item in rule:
            _collect_variables(item, names)
        return
    if not is_operation(rule):
        return

    ((operator, args),) = rule.items()
    if not isinstance(args, list):
        args = [args]
    if operator == "var":
        if args and isinstance(args[0], str) and args[0]:
            names.add(args[0].split(".")[0])
        return
    if operator in ("missing", "missing_some"):
        keys = args[1] if operator == "missing_some" and len(args) > 1 else args
        for key in keys if isinstance(keys, list) else [keys]:
            if isinstance(key, str) and key:
                names.add(key.split(".")[0])
        return
    if operator in SCOPED_OPERATORS:
        args = args[:1] + (args[2:3] if operator == "reduce" else [])
    for arg in args:
        _collect_variables(arg, names)


def is_operation(value: Any) -> TypeGuard[dict[str, Any]]:
    """Whether ``value`` is a JsonLogic operation: an object with a single key."""
    return isinstance(value, dict) and len(value) == 1


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
