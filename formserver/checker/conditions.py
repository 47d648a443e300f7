"""Conditions: operators that do not exist, names nobody sets, unknown options.

Every ``when`` and ``visible_if`` is JsonLogic; these checks read each one on
its own, whatever step it sits on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..logic import (
    OPERATORS,
    SCOPED_OPERATORS,
    LogicError,
    evaluate,
    is_operation,
    operators_in,
    variables_in,
)
from ..problems import did_you_mean
from ..spec import Spec
from .context import SEGMENT_VAR, Context, all_fields, all_rules

_EQUALITY = frozenset({"==", "!=", "===", "!=="})


def _conditions(spec: Spec) -> Iterator[tuple[str, Any]]:
    """``(pointer, rule)`` for every condition in the spec."""
    for field in all_fields(spec):
        if field.visible_if is not None:
            yield f"{field.pointer}/visible_if", field.visible_if
    for step in spec.steps:
        for goto in step.next:
            if goto.when is not None:
                yield f"{goto.pointer}/when", goto.when
    for segment in spec.segments:
        if segment.when is not None:
            yield f"{segment.pointer}/when", segment.when
    for rule in all_rules(spec):
        yield f"{rule.pointer}/when", rule.when


def check_conditions(context: Context) -> None:
    """Every condition of the spec: its operators, names and compared values."""
    for pointer, rule in _conditions(context.spec):
        broken = _check_operations(context, pointer, rule)
        if not broken:
            try:
                evaluate(rule, {})
            except LogicError as error:
                context.error(pointer, f"this condition cannot be evaluated: {error}")
        _check_variables(context, pointer, rule)
        _check_compared_values(context, pointer, rule)


def _check_operations(context: Context, pointer: str, rule: Any) -> bool:
    """Report objects that are not operations and unknown operators."""
    broken = False
    for where, value in _non_operations(rule, pointer):
        broken = True
        keys = ", ".join(f"'{k}'" for k in value) or "none"
        context.error(
            where,
            "an operation is an object with exactly one key, its operator, but "
            f"this one has {len(value)} ({keys}); combine several tests with "
            "'and' or 'or'",
        )
    for where, operator in operators_in(rule):
        if operator not in OPERATORS:
            broken = True
            context.error(
                f"{pointer}{where}",
                f"'{operator}' is not an operator conditions can use"
                f"{did_you_mean(operator, OPERATORS)}",
            )
    return broken


def _non_operations(rule: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(rule, list):
        for index, item in enumerate(rule):
            yield from _non_operations(item, f"{pointer}/{index}")
    elif isinstance(rule, dict):
        if not is_operation(rule):
            yield pointer, rule
            return
        ((operator, args),) = rule.items()
        yield from _non_operations(args, f"{pointer}/{_escape(operator)}")


def _check_variables(context: Context, pointer: str, rule: Any) -> None:
    for name in sorted(variables_in(rule) - context.readable):
        context.error(
            pointer,
            f"this condition reads '{name}', which is neither a field, a captured "
            f"parameter nor 'segment'{did_you_mean(name, context.readable)}",
        )


def _check_compared_values(context: Context, pointer: str, rule: Any) -> None:
    for where, name, literal in _compared_literals(context, rule, pointer):
        choices = context.choices[name]
        hint = did_you_mean(literal, choices)
        if name == SEGMENT_VAR:
            message = f"there is no segment '{literal}'{hint}"
        else:
            message = f"field '{name}' has no option '{literal}'{hint}"
        context.warning(where, message)


def _compared_literals(
    context: Context, rule: Any, pointer: str
) -> Iterator[tuple[str, str, str]]:
    """``(pointer, name, text)`` where a choice is compared with unknown text."""
    for where, operator, args in _operations(rule, pointer):
        if len(args) != 2:
            continue
        pairs: list[tuple[int, Any, Any]] = []
        if operator in _EQUALITY:
            pairs = [(1, args[0], args[1]), (0, args[1], args[0])]
        elif operator == "in" and isinstance(args[1], list):
            pairs = [(1, args[0], item) for item in args[1]]
        elif operator == "in" and _is_list_field(context, _var_name(args[1])):
            pairs = [(0, args[1], args[0])]
        for index, (at, var, literal) in enumerate(pairs):
            name = _var_name(var)
            if name not in context.choices or not isinstance(literal, str):
                continue
            if literal and literal not in context.choices[name]:
                inside = f"/{index}" if operator == "in" and at == 1 else ""
                yield f"{where}/{at}{inside}", name, literal


def _operations(rule: Any, pointer: str) -> Iterator[tuple[str, str, list[Any]]]:
    """Every operation outside per-item arguments, with the pointer to its args."""
    if isinstance(rule, list):
        for index, item in enumerate(rule):
            yield from _operations(item, f"{pointer}/{index}")
        return
    if not is_operation(rule):
        return

    ((operator, raw),) = rule.items()
    here = f"{pointer}/{_escape(operator)}"
    args = raw if isinstance(raw, list) else [raw]
    yield here, operator, args
    for index, arg in enumerate(args):
        if operator in SCOPED_OPERATORS and index == 1:
            continue
        yield from _operations(arg, f"{here}/{index}" if raw is args else here)


def _var_name(value: Any) -> str | None:
    if not (is_operation(value) and "var" in value):
        return None
    name = value["var"]
    if isinstance(name, list):
        name = name[0] if name else None
    return name if isinstance(name, str) else None


def _is_list_field(context: Context, name: str | None) -> bool:
    field = context.spec.fields_by_id.get(name or "")
    return field is not None and field.type == "checkboxes"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
