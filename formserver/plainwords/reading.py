"""Reading a rule: the scope it is read in, and the walk over its operations.

Each operation is looked up first among the tests (:mod:`.clauses`), then among
the expressions (:mod:`.expressions`); those call back into the scope for
their arguments, one level deeper.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..logic import is_operation
from ..spec import Field, Spec
from .clauses import CLAUSES, Clause
from .expressions import EXPRESSIONS
from .values import (
    ITEM,
    MAX_LISTED,
    compact,
    field_by_name,
    listing,
    literal,
    number,
    plain_var,
    short,
    var_name,
)

#: Operations nested deeper than this are shown as compact JSON.
MAX_DEPTH = 12
#: Operations described per call before the rest are shown as compact JSON.
MAX_OPERATIONS = 500

_ATOMS = frozenset({"var", "max", "min", "substr", "merge", "map", "filter", "reduce"})


@dataclass
class Budget:
    left: int = MAX_OPERATIONS


@dataclass(frozen=True)
class Scope:
    """Where a rule is read: the spec, the depth, and what ``var`` names."""

    spec: Spec | None
    budget: Budget = field(default_factory=Budget)
    depth: int = 0
    item_field: Field | None = None
    in_items: bool = False
    reducing: bool = False

    @property
    def reads_items(self) -> bool:
        """Whether ``var`` reads an item of a list rather than the answers."""
        return self.in_items or self.reducing

    def deeper(self) -> Scope:
        return replace(self, depth=self.depth + 1)

    def exhausted(self) -> bool:
        self.budget.left -= 1
        return self.depth > MAX_DEPTH or self.budget.left < 0

    def condition(self, rule: Any) -> str:
        """A rule read as a condition: a bare answer holds when it is given."""
        if plain_var(rule) and not self.reads_items:
            return str(Clause(self.describe(rule), "is answered"))
        return self.describe(rule)

    def describe(self, rule: Any) -> str:
        """A rule read as it stands: a test, an expression or a literal."""
        if isinstance(rule, list):
            return self.operand(rule, None)
        if not is_operation(rule):
            return literal(rule, None)
        if self.exhausted():
            return compact(rule)

        clause = self.clause(rule)
        if clause is not None:
            return str(clause)
        ((operator, raw),) = rule.items()
        args = raw if isinstance(raw, list) else [raw]
        render = EXPRESSIONS.get(operator) if isinstance(operator, str) else None
        text = render(operator, args, self.deeper()) if render else None
        return compact(rule) if text is None else text

    def clause(self, rule: Any) -> Clause | None:
        """``rule`` as a clause when it is a test that has a negation."""
        if not is_operation(rule) or self.exhausted():
            return None
        ((operator, raw),) = rule.items()
        args = raw if isinstance(raw, list) else [raw]
        build = CLAUSES.get(operator) if isinstance(operator, str) else None
        return build(operator, args, self.deeper()) if build else None

    def operand(self, value: Any, subject: Field | None) -> str:
        """An argument: an operation described, a literal shown as ``subject``'s."""
        if is_operation(value):
            return self.describe(value)
        if not isinstance(value, list):
            return literal(value, subject)
        if self.exhausted():
            return compact(value)
        inner = self.deeper()
        items = [inner.operand(v, subject) for v in value[: MAX_LISTED + 1]]
        return listing(items, "and", len(value))

    def term(self, value: Any) -> str:
        """An operand of arithmetic, in brackets when it is itself a calculation."""
        text = self.operand(value, None)
        if is_operation(value) and next(iter(value)) not in _ATOMS:
            return f"({text})"
        return text

    def name(self, name: Any) -> str:
        """What a ``var`` or ``missing`` name reads, in the terms of the spec."""
        if is_operation(name):
            return f"the answer named by {self.describe(name)}"
        if isinstance(name, int | float) and not isinstance(name, bool):
            name = number(name)
        if not isinstance(name, str):
            return compact(name)
        if self.reducing:
            head, _, rest = name.partition(".")
            known = {"current": ITEM, "accumulator": "the running total"}
            base = known.get(head, short(name, 40))
            return f"{short(rest, 40)} of {base}" if rest and head in known else base
        if self.in_items:
            return f"{short(name, 40)} of {ITEM}" if name else ITEM
        if name == "":
            return "the answers"

        head, _, rest = name.partition(".")
        subject = field_by_name(head, self.spec)
        label = short(subject.label, 80) if subject is not None else short(head, 40)
        return f"{short(rest, 40)} of {label}" if rest else label

    def field_of(self, value: Any) -> Field | None:
        """The field (or the segment) whose answer ``value`` reads, if any."""
        name = var_name(value)
        if name is None:
            return None
        if self.reads_items:
            return self.item_field if name == "" and not self.reducing else None
        return field_by_name(name, self.spec)
