"""Tests read as clauses: comparisons, membership, answered or not.

A test is kept as subject, verb and object rather than as finished text, so
that ``!`` and the list quantifiers can turn it around ("is at most" for "is
more than") instead of wrapping it in "not (…)".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..logic import is_operation
from .values import MAX_LISTED, is_literal, listing, plain_var, quoted

if TYPE_CHECKING:
    from .reading import Scope

_RELATIONS = {
    "==": "is",
    "===": "is",
    "!=": "is not",
    "!==": "is not",
    ">": "is more than",
    ">=": "is at least",
    "<": "is less than",
    "<=": "is at most",
}
_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_OPPOSITES = dict(
    pair
    for a, b in (
        ("is", "is not"),
        ("is more than", "is at most"),
        ("is at least", "is less than"),
        ("is between", "is not between"),
        ("is one of", "is not one of"),
        ("includes", "does not include"),
        ("contains", "does not contain"),
        ("is part of", "is not part of"),
        ("is answered", "is not answered"),
        ("is empty", "is not empty"),
    )
    for pair in ((a, b), (b, a))
)


@dataclass(frozen=True)
class Clause:
    """A condition as subject, verb and object, so that it can be negated."""

    subject: str
    verb: str
    object: str = ""
    negation: str = ""

    def __str__(self) -> str:
        return " ".join(part for part in (self.subject, self.verb, self.object) if part)

    def negated(self) -> str:
        if self.negation:
            return self.negation
        if self.verb in _OPPOSITES:
            return str(replace(self, verb=_OPPOSITES[self.verb]))
        return f"not ({self})"


def _compare(operator: str, args: list[Any], scope: Scope) -> Clause | None:
    if len(args) == 3 and operator in ("<", "<="):
        low, middle, high = args
        subject = scope.field_of(middle)
        bounds = f"{scope.operand(low, subject)} and {scope.operand(high, subject)}"
        exclusive = " (exclusive)" if operator == "<" else ""
        return Clause(scope.operand(middle, None), "is between", bounds + exclusive)
    if len(args) != 2:
        return None

    left, right = args
    if is_literal(left) and not is_literal(right):
        left, right = right, left
        operator = _FLIPPED.get(operator, operator)
    subject = scope.field_of(left)
    return Clause(
        scope.operand(left, None),
        _RELATIONS[operator],
        scope.operand(right, subject),
    )


def _in(operator: str, args: list[Any], scope: Scope) -> Clause | None:
    if len(args) != 2:
        return None
    needle, haystack = args
    if isinstance(haystack, list):
        subject = scope.field_of(needle)
        values = [scope.operand(v, subject) for v in haystack[: MAX_LISTED + 1]]
        if len(haystack) == 1:
            return Clause(scope.operand(needle, None), "is", values[0])
        listed = listing(values, "or", len(haystack))
        return Clause(scope.operand(needle, None), "is one of", listed)

    where = scope.field_of(haystack)
    if isinstance(haystack, str):
        return Clause(scope.operand(needle, None), "is part of", quoted(haystack))
    verb = (
        "includes" if where is not None and where.type == "checkboxes" else "contains"
    )
    return Clause(scope.operand(haystack, None), verb, scope.operand(needle, where))


def _not(operator: str, args: list[Any], scope: Scope) -> Clause | None:
    target = args[0] if args else None
    inner = scope.clause(target)
    if inner is not None and operator == "!!":
        return inner
    if inner is not None:
        negated = inner.negated()
        return Clause(negated, "")
    if plain_var(target) and not scope.reads_items:
        verb = "is answered" if operator == "!!" else "is not answered"
        return Clause(scope.describe(target), verb)
    if not is_operation(target) and not isinstance(target, list):
        return None
    text = scope.operand(target, None)
    if is_operation(target) and next(iter(target)) in ("and", "or", "if", "?:"):
        return Clause(text, "") if operator == "!!" else Clause(f"not ({text})", "")
    return Clause(text, "is not empty" if operator == "!!" else "is empty")


def _missing(operator: str, args: list[Any], scope: Scope) -> Clause | None:
    keys = args[0] if args and isinstance(args[0], list) else args
    names = [scope.name(key) for key in keys[: MAX_LISTED + 1]]
    if not names:
        return None
    if len(names) == 1:
        return Clause(names[0], "is not answered")
    listed = listing(names, "or", len(keys))
    every = listing(names, "and", len(keys))
    return Clause(
        f"any of {listed}", "is not answered", negation=f"{every} are all answered"
    )


def _missing_some(operator: str, args: list[Any], scope: Scope) -> Clause | None:
    if len(args) != 2 or not isinstance(args[1], list) or not args[1]:
        return None
    names = [scope.name(key) for key in args[1][: MAX_LISTED + 1]]
    if args[0] == 1 and not isinstance(args[0], bool):
        listed = listing(names, "or", len(args[1]))
        return Clause(
            f"none of {listed}",
            "is answered",
            negation=f"at least one of {listed} is answered",
        )
    need = scope.operand(args[0], None)
    listed = listing(names, "and", len(args[1]))
    return Clause(
        f"fewer than {need} of {listed}",
        "are answered",
        negation=f"at least {need} of {listed} are answered",
    )


CLAUSES: dict[str, Callable[[str, list[Any], Scope], Clause | None]] = {
    **dict.fromkeys(_RELATIONS, _compare),
    "in": _in,
    "!": _not,
    "!!": _not,
    "missing": _missing,
    "missing_some": _missing_some,
}
