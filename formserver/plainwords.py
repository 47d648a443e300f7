"""Conditions in plain words: JsonLogic rules read back as English sentences.

The step graph and ``formserver graph`` show a marketer what a condition means
without reading JSON: a field is named by its label, as it stands, an option
value by its option label, a segment by its segment label, and other literal
text in curly quotes. Any input gets a description, never an exception: what
has no plain reading, or nests deeper than :data:`MAX_DEPTH`, is shown as
compact JSON.

Known limit: this module is longer than the project's usual module size,
because one operator table keeps every phrasing in one place; the value and
name helpers at the end are the seam to split it along.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .logic import SCOPED_OPERATORS, is_operation
from .spec import Field, Goto, Option, Spec

#: Operations nested deeper than this are shown as compact JSON.
MAX_DEPTH = 12
#: Operations described per call before the rest are shown as compact JSON.
MAX_OPERATIONS = 500
#: Values listed from a list before the rest are counted ("and 3 more").
MAX_LISTED = 12

_ITEM = "the item"
_ATOMS = frozenset({"var", "max", "min", "substr", "merge", "map", "filter", "reduce"})
_ARITHMETIC = {"+": "+", "-": "−", "*": "×", "/": "÷"}
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
class _Clause:
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


@dataclass
class _Budget:
    left: int = MAX_OPERATIONS


@dataclass(frozen=True)
class _Scope:
    """Where a rule is read: the spec, the depth, and what ``var`` names."""

    spec: Spec | None
    budget: _Budget = field(default_factory=_Budget)
    depth: int = 0
    item_field: Field | None = None
    in_items: bool = False
    reducing: bool = False

    def deeper(self) -> _Scope:
        return replace(self, depth=self.depth + 1)

    def exhausted(self) -> bool:
        self.budget.left -= 1
        return self.depth > MAX_DEPTH or self.budget.left < 0


def describe(rule: Any, spec: Spec | None = None) -> str:
    """``rule`` as an English sentence, with the labels of ``spec``.

    >>> describe({">=": [{"var": "ticket_size"}, 1000000]})
    'ticket_size is at least 1,000,000'
    """
    if rule is None or rule is True:
        return "always"
    if rule is False:
        return "never"
    return _condition(rule, _Scope(spec))


def describe_goto(goto: Goto, spec: Spec | None = None) -> str:
    """A branch of a step in plain words: where it goes, and when."""
    target = step_name(goto.step, spec)
    if goto.when is None or goto.when is True:
        return f"go to {target}"
    return f"if {describe(goto.when, spec)}, go to {target}"


def step_name(step_id: str, spec: Spec | None = None) -> str:
    """A step as a marketer knows it: its title in quotes, else its id."""
    step = spec.steps_by_id.get(step_id) if spec is not None else None
    if step is None and spec is not None:
        return f"“{step_id}” (not a step of this form)"
    return f"“{_short((step.title or step.id) if step else step_id, 80)}”"


# Conditions and expressions.


def _condition(rule: Any, scope: _Scope) -> str:
    """A rule read as a condition: a bare answer holds when it is given."""
    if _plain_var(rule) and not _in_items(scope):
        return str(_Clause(_describe(rule, scope), "is answered"))
    return _describe(rule, scope)


def _describe(rule: Any, scope: _Scope) -> str:
    if isinstance(rule, list):
        return _operand(rule, None, scope)
    if not is_operation(rule):
        return _value(rule, None)
    if scope.exhausted():
        return _compact(rule)

    clause = _clause(rule, scope)
    if clause is not None:
        return str(clause)
    ((operator, raw),) = rule.items()
    args = raw if isinstance(raw, list) else [raw]
    render = _EXPRESSIONS.get(operator) if isinstance(operator, str) else None
    text = render(operator, args, scope.deeper()) if render else None
    return _compact(rule) if text is None else text


def _clause(rule: Any, scope: _Scope) -> _Clause | None:
    """``rule`` as a clause when it is a test that has a negation."""
    if not is_operation(rule) or scope.exhausted():
        return None
    ((operator, raw),) = rule.items()
    args = raw if isinstance(raw, list) else [raw]
    build = _CLAUSES.get(operator) if isinstance(operator, str) else None
    return build(operator, args, scope.deeper()) if build else None


def _operand(value: Any, subject: Field | None, scope: _Scope) -> str:
    """An argument: an operation described, a literal shown as ``subject``'s."""
    if is_operation(value):
        return _describe(value, scope)
    if not isinstance(value, list):
        return _value(value, subject)
    if scope.exhausted():
        return _compact(value)
    inner = scope.deeper()
    items = [_operand(v, subject, inner) for v in value[: MAX_LISTED + 1]]
    return _listing(items, "and", len(value))


def _term(value: Any, scope: _Scope) -> str:
    """An operand of arithmetic, in brackets when it is itself a calculation."""
    text = _operand(value, None, scope)
    if is_operation(value) and next(iter(value)) not in _ATOMS:
        return f"({text})"
    return text


# Tests: comparisons, membership, answered or not.


def _compare(operator: str, args: list[Any], scope: _Scope) -> _Clause | None:
    if len(args) == 3 and operator in ("<", "<="):
        low, middle, high = args
        subject = _field_of(middle, scope)
        bounds = f"{_operand(low, subject, scope)} and {_operand(high, subject, scope)}"
        exclusive = " (exclusive)" if operator == "<" else ""
        return _Clause(_operand(middle, None, scope), "is between", bounds + exclusive)
    if len(args) != 2:
        return None

    left, right = args
    if _is_literal(left) and not _is_literal(right):
        left, right = right, left
        operator = _FLIPPED.get(operator, operator)
    subject = _field_of(left, scope)
    return _Clause(
        _operand(left, None, scope),
        _RELATIONS[operator],
        _operand(right, subject, scope),
    )


def _in(operator: str, args: list[Any], scope: _Scope) -> _Clause | None:
    if len(args) != 2:
        return None
    needle, haystack = args
    if isinstance(haystack, list):
        subject = _field_of(needle, scope)
        values = [_operand(v, subject, scope) for v in haystack[: MAX_LISTED + 1]]
        if len(haystack) == 1:
            return _Clause(_operand(needle, None, scope), "is", values[0])
        listed = _listing(values, "or", len(haystack))
        return _Clause(_operand(needle, None, scope), "is one of", listed)

    where = _field_of(haystack, scope)
    if isinstance(haystack, str):
        return _Clause(_operand(needle, None, scope), "is part of", _quoted(haystack))
    verb = (
        "includes" if where is not None and where.type == "checkboxes" else "contains"
    )
    return _Clause(
        _operand(haystack, None, scope), verb, _operand(needle, where, scope)
    )


def _not(operator: str, args: list[Any], scope: _Scope) -> _Clause | None:
    target = args[0] if args else None
    inner = _clause(target, scope)
    if inner is not None and operator == "!!":
        return inner
    if inner is not None:
        negated = inner.negated()
        return _Clause(negated, "")
    if _plain_var(target) and not _in_items(scope):
        verb = "is answered" if operator == "!!" else "is not answered"
        return _Clause(_describe(target, scope), verb)
    if not is_operation(target) and not isinstance(target, list):
        return None
    text = _operand(target, None, scope)
    if is_operation(target) and next(iter(target)) in ("and", "or", "if", "?:"):
        return _Clause(text, "") if operator == "!!" else _Clause(f"not ({text})", "")
    return _Clause(text, "is not empty" if operator == "!!" else "is empty")


def _missing(operator: str, args: list[Any], scope: _Scope) -> _Clause | None:
    keys = args[0] if args and isinstance(args[0], list) else args
    names = [_name(key, scope) for key in keys[: MAX_LISTED + 1]]
    if not names:
        return None
    if len(names) == 1:
        return _Clause(names[0], "is not answered")
    listed = _listing(names, "or", len(keys))
    every = _listing(names, "and", len(keys))
    return _Clause(
        f"any of {listed}", "is not answered", negation=f"{every} are all answered"
    )


def _missing_some(operator: str, args: list[Any], scope: _Scope) -> _Clause | None:
    if len(args) != 2 or not isinstance(args[1], list) or not args[1]:
        return None
    names = [_name(key, scope) for key in args[1][: MAX_LISTED + 1]]
    if args[0] == 1 and not isinstance(args[0], bool):
        listed = _listing(names, "or", len(args[1]))
        return _Clause(
            f"none of {listed}",
            "is answered",
            negation=f"at least one of {listed} is answered",
        )
    need = _operand(args[0], None, scope)
    listed = _listing(names, "and", len(args[1]))
    return _Clause(
        f"fewer than {need} of {listed}",
        "are answered",
        negation=f"at least {need} of {listed} are answered",
    )


_CLAUSES: dict[str, Callable[[str, list[Any], _Scope], _Clause | None]] = {
    **dict.fromkeys(_RELATIONS, _compare),
    "in": _in,
    "!": _not,
    "!!": _not,
    "missing": _missing,
    "missing_some": _missing_some,
}


# Expressions: answers, logic, calculations, text and lists.


def _var(operator: str, args: list[Any], scope: _Scope) -> str | None:
    name = args[0] if args else None
    text = _name(name, scope)
    if len(args) > 1:
        text += f" (or {_operand(args[1], None, scope)} when not answered)"
    return text


def _name(name: Any, scope: _Scope) -> str:
    """What a ``var`` or ``missing`` name reads, in the terms of the spec."""
    if is_operation(name):
        return f"the answer named by {_describe(name, scope)}"
    if isinstance(name, int | float) and not isinstance(name, bool):
        name = _number(name)
    if not isinstance(name, str):
        return _compact(name)
    if scope.reducing:
        head, _, rest = name.partition(".")
        known = {"current": _ITEM, "accumulator": "the running total"}
        base = known.get(head, _short(name, 40))
        return f"{_short(rest, 40)} of {base}" if rest and head in known else base
    if scope.in_items:
        return f"{_short(name, 40)} of {_ITEM}" if name else _ITEM
    if name == "":
        return "the answers"

    head, _, rest = name.partition(".")
    subject = _field_by_name(head, scope.spec)
    label = _short(subject.label, 80) if subject is not None else _short(head, 40)
    return f"{_short(rest, 40)} of {label}" if rest else label


def _and_or(operator: str, args: list[Any], scope: _Scope) -> str | None:
    if not args:
        return "never"
    parts = []
    for arg in args[:MAX_LISTED]:
        text = _condition(arg, scope)
        other = is_operation(arg) and next(iter(arg)) in ("and", "or", "if", "?:")
        parts.append(f"({text})" if other and next(iter(arg)) != operator else text)
    if len(args) > MAX_LISTED:
        parts.append(f"{len(args) - MAX_LISTED:,} more conditions")
    return f" {operator} ".join(parts)


def _if(operator: str, args: list[Any], scope: _Scope) -> str | None:
    if not args:
        return None
    if len(args) == 1:
        return _operand(args[0], None, scope)
    parts = [
        f"if {_condition(args[i], scope)} then {_operand(args[i + 1], None, scope)}"
        for i in range(0, len(args) - 1, 2)
    ]
    if len(args) % 2:
        parts.append(f"otherwise {_operand(args[-1], None, scope)}")
    return ", ".join(parts)


def _arithmetic(operator: str, args: list[Any], scope: _Scope) -> str | None:
    if not args:
        return None
    terms = [_term(arg, scope) for arg in args[:MAX_LISTED]]
    if operator == "-" and len(args) == 1:
        return f"−{terms[0]}"
    if len(args) == 1:
        return f"{terms[0]} as a number" if operator == "+" else terms[0]
    if operator in ("-", "/"):
        terms = terms[:2]
    return f" {_ARITHMETIC[operator]} ".join(terms)


def _remainder(operator: str, args: list[Any], scope: _Scope) -> str | None:
    if len(args) < 2:
        return None
    return f"the remainder of {_term(args[0], scope)} ÷ {_term(args[1], scope)}"


def _extreme(operator: str, args: list[Any], scope: _Scope) -> str | None:
    if not args:
        return None
    values = [_operand(arg, None, scope) for arg in args[: MAX_LISTED + 1]]
    if len(args) == 1:
        return values[0]
    which = "largest" if operator == "max" else "smallest"
    return f"the {which} of {_listing(values, 'and', len(args))}"


def _cat(operator: str, args: list[Any], scope: _Scope) -> str | None:
    if not args:
        return None
    parts = [_operand(arg, None, scope) for arg in args[:MAX_LISTED]]
    if len(args) == 1:
        return f"{parts[0]} as text"
    return " followed by ".join(parts)


def _substr(operator: str, args: list[Any], scope: _Scope) -> str | None:
    if not args:
        return None
    text = _term(args[0], scope)
    start = args[1] if len(args) > 1 else 0
    length = args[2] if len(args) > 2 else None
    if not _is_whole(start) or not (length is None or _is_whole(length)):
        return None
    if length is None:
        if start >= 0:
            return f"{text} from character {start + 1} on" if start else text
        return f"the last {_characters(-start)} of {text}"
    if start == 0 and length >= 0:
        return f"the first {_characters(length)} of {text}"
    if start == 0:
        return f"{text} without its last {_characters(-length)}"
    where = f"character {start + 1}" if start > 0 else f"{-start} from the end"
    if length < 0:
        return f"{text} from {where} on, without its last {_characters(-length)}"
    return f"{_characters(length)} of {text} from {where}"


def _merge(operator: str, args: list[Any], scope: _Scope) -> str | None:
    if not args:
        return None
    parts = [_operand(arg, None, scope) for arg in args[: MAX_LISTED + 1]]
    return f"the combined list of {_listing(parts, 'and', len(args))}"


def _scoped(operator: str, args: list[Any], scope: _Scope) -> str | None:
    if len(args) < 2:
        return None
    items, logic = args[0], args[1]
    items_text = _term(items, scope)
    subject = _field_of(items, scope)
    inner = replace(scope, in_items=True, reducing=False, item_field=subject)
    if operator == "reduce":
        return _reduce(items_text, logic, args[2] if len(args) > 2 else None, scope)
    if operator == "map":
        return f"{_operand(logic, None, inner)} for each item of {items_text}"
    if operator == "filter":
        return f"the items of {items_text} where {_condition(logic, inner)}"
    return _quantified(operator, items_text, logic, inner)


def _quantified(operator: str, items: str, logic: Any, scope: _Scope) -> str:
    clause = _clause(logic, scope)
    chosen = scope.item_field is not None and scope.item_field.type == "checkboxes"
    if clause is not None and clause.subject == _ITEM and _ITEM not in clause.object:
        if chosen and operator in ("some", "none") and clause.verb == "is":
            verb = "includes" if operator == "some" else "does not include"
            return f"{items} {verb} {clause.object}"
        if chosen and operator in ("some", "none") and clause.verb == "is one of":
            which = "any of" if operator == "some" else "none of"
            return f"{items} includes {which} {clause.object}"
        quantity = {"some": "any of", "all": "each of", "none": "none of"}[operator]
        return f"{quantity} {items} {clause.verb} {clause.object}".rstrip()
    quantity = {"some": "some", "all": "every", "none": "no"}[operator]
    return f"for {quantity} item of {items}: {_condition(logic, scope)}"


def _reduce(items: str, logic: Any, initial: Any, scope: _Scope) -> str:
    if _is_zero(initial) and is_operation(logic) and "+" in logic:
        raw = logic["+"]
        names = sorted(_var_name(a) or repr(a) for a in raw if isinstance(raw, list))
        if names == ["1", "accumulator"]:
            return f"the number of items in {items}"
        if names == ["accumulator", "current"]:
            return f"the sum of {items}"
    inner = replace(scope, reducing=True, in_items=False, item_field=None)
    start = _operand(initial, None, scope)
    step = _operand(logic, None, inner)
    return f"{items} combined, starting from {start}, by {step}"


_EXPRESSIONS: dict[str, Callable[[str, list[Any], _Scope], str | None]] = {
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


# Values, names and fields.


def _field_of(value: Any, scope: _Scope) -> Field | None:
    """The field (or the segment) whose answer ``value`` reads, if any."""
    name = _var_name(value)
    if name is None:
        return None
    if scope.in_items or scope.reducing:
        return scope.item_field if name == "" and not scope.reducing else None
    return _field_by_name(name, scope.spec)


def _field_by_name(name: str, spec: Spec | None) -> Field | None:
    if spec is None:
        return None
    if name == "segment" and name not in spec.fields_by_id:
        options = tuple(Option(s.id, s.label or s.id) for s in spec.segments)
        return Field("segment", "radio", "the segment", "", options=options)
    return spec.fields_by_id.get(name)


def _var_name(value: Any) -> str | None:
    """The name a ``{"var": …}`` reads, when it is plain text."""
    if not (is_operation(value) and "var" in value):
        return None
    name = value["var"]
    if isinstance(name, list):
        name = name[0] if name else ""
    return name if isinstance(name, str) else None


def _plain_var(value: Any) -> bool:
    """Whether ``value`` reads one answer by name, without a default."""
    if _var_name(value) is None:
        return False
    name = value["var"]
    return not isinstance(name, list) or len(name) < 2


def _in_items(scope: _Scope) -> bool:
    """Whether ``var`` reads an item of a list rather than the answers."""
    return scope.in_items or scope.reducing


def _is_literal(value: Any) -> bool:
    return not is_operation(value) and not isinstance(value, list)


def _value(value: Any, subject: Field | None) -> str:
    """A literal as a marketer reads it; option values by their labels."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        for option in subject.options if subject is not None else ():
            if option.value == value:
                return _short(option.label, 80)
        return _quoted(value)
    return _compact(value)


def _number(number: float) -> str:
    if isinstance(number, int):
        return f"{number:,}" if number.bit_length() < 128 else "a huge number"
    if math.isnan(number):
        return "not a number"
    if math.isinf(number):
        return "infinity" if number > 0 else "minus infinity"
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:,}"


def _is_zero(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 1e9


def _characters(count: int) -> str:
    return "1 character" if count == 1 else f"{count:,} characters"


def _quoted(text: str) -> str:
    return f"“{_short(text, 40)}”"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _listing(items: list[str], joiner: str, total: int | None = None) -> str:
    """``A, B or C``; past :data:`MAX_LISTED` items, the rest are counted."""
    total = len(items) if total is None else total
    if total > MAX_LISTED:
        return f"{', '.join(items[:MAX_LISTED])} {joiner} {total - MAX_LISTED} more"
    if len(items) < 2:
        return items[0] if items else "nothing"
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"


def _compact(value: Any, limit: int = 80) -> str:
    """Compact JSON of any value, cut short; safe for any depth or type."""
    return _short(_json(value, 0), limit)


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
        return json.dumps(_short(value, 60), ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return _number(value).replace(",", "")
    return json.dumps(_short(repr(value), 40))
