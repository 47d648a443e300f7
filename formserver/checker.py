"""Checks on form specs that their JSON Schema cannot express.

The schema says what each setting may hold; these checks read a spec as a whole:
ids used twice or never defined, questions that do not fit their type,
conditions that read answers nobody gave yet, steps no prospect reaches or
cannot leave, lead fields a path skips, and tier bands with holes or without a
route. :func:`check_spec` checks one compiled spec; :func:`check_paths` checks
the files and folders ``formserver check`` is given.

Known limit: this module is larger than the project's usual module size; the
step graph with its data-flow analysis, and the qualification checks, are the
seams to split it along.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .catalog import CLIENT_FILE, load_client, load_spec, spec_paths
from .logic import (
    OPERATORS,
    SCOPED_OPERATORS,
    LogicError,
    evaluate,
    is_operation,
    operators_in,
    variables_in,
)
from .problems import Problem, SpecError, did_you_mean
from .spec import (
    DISQUALIFIED,
    Band,
    Field,
    Goto,
    Knockout,
    ScoringRule,
    Segment,
    Spec,
    Step,
)

logger = logging.getLogger(__name__)

_SEGMENT_VAR = "segment"
_TEXT_TYPES = frozenset({"text", "textarea", "email", "phone"})
_EQUALITY = frozenset({"==", "!=", "===", "!=="})

#: What a field's answer is once cleaned; a bound that cannot run on that kind
#: of value makes the server fail, because forms build a check for every key.
_ANSWER_KIND = {
    "number": "number",
    "money": "number",
    "checkboxes": "list",
    "date": "date",
    "consent": "bool",
}

#: For each validation key: the field types it is meant for, and the kinds of
#: answer it can run on without failing.
_BOUNDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "min_length": (_TEXT_TYPES, frozenset({"text", "list"})),
    "max_length": (_TEXT_TYPES, frozenset({"text", "list"})),
    "pattern": (_TEXT_TYPES, frozenset({"text"})),
    "min": (frozenset({"number", "money"}), frozenset({"number", "bool"})),
    "max": (frozenset({"number", "money"}), frozenset({"number", "bool"})),
    "min_choices": (frozenset({"checkboxes"}), frozenset({"text", "list"})),
    "max_choices": (frozenset({"checkboxes"}), frozenset({"text", "list"})),
    "min_date": (frozenset({"date"}), frozenset({"date"})),
    "max_date": (frozenset({"date"}), frozenset({"date"})),
}
_PAIRS = (("min", "max"), ("min_length", "max_length"), ("min_choices", "max_choices"))

_Rule = ScoringRule | Knockout


def check_spec(spec: Spec) -> list[Problem]:
    """Every semantic problem of ``spec``, sorted by pointer."""
    context = _Context(spec)
    for check in (
        _check_duplicates,
        _check_option_values,
        _check_reserved_names,
        _check_references,
        _check_fields,
        _check_conditions,
        _check_steps,
        _check_loops,
        _check_data_flow,
        _check_lead_fields,
        _check_bands,
        _check_routes,
        _check_segments,
    ):
        check(context)
    return sorted(set(context.problems))


def check_paths(paths: Iterable[Path | str]) -> list[Problem]:
    """Load and check every spec and client file at or under ``paths``.

    Never raises: whatever a file holds is reported as problems, sorted by
    file and then by pointer.
    """
    problems: set[Problem] = set()
    seen: set[str] = set()
    for path in paths:
        problems.update(_check_path(Path(path), seen))
    return sorted(problems)


# The step graph.


@dataclass(frozen=True)
class _Graph:
    """Which steps can follow which, by position in the spec's list of steps."""

    successors: tuple[tuple[int, ...], ...]
    ends: frozenset[int]

    def reach(self, start: int) -> set[int]:
        """The steps a prospect can reach from ``start``, itself included."""
        seen, todo = {start}, [start]
        while todo:
            for following in self.successors[todo.pop()]:
                if following not in seen:
                    seen.add(following)
                    todo.append(following)
        return seen

    @cached_property
    def reachable(self) -> frozenset[int]:
        return frozenset(self.reach(0))

    @cached_property
    def predecessors(self) -> dict[int, list[int]]:
        before: dict[int, list[int]] = {index: [] for index in self.reachable}
        for index in sorted(self.reachable):
            for following in self.successors[index]:
                before[following].append(index)
        return before


def _step_graph(spec: Spec) -> _Graph:
    position = {step.id: index for index, step in enumerate(spec.steps)}
    successors: list[tuple[int, ...]] = []
    ends: set[int] = set()
    for index, step in enumerate(spec.steps):
        targets = [
            position[goto.step]
            for goto in ([] if step.end else _live_branches(step))
            if goto.step in position
        ]
        if _falls_through(step) and index + 1 < len(spec.steps):
            targets.append(index + 1)
        elif step.end or _falls_through(step):
            ends.add(index)
        successors.append(tuple(dict.fromkeys(targets)))
    return _Graph(tuple(successors), frozenset(ends))


def _unconditional(when: Any) -> bool:
    return when is None or when is True


def _live_branches(step: Step) -> tuple[Goto, ...]:
    """The branches the engine can take: up to the first one without ``when``."""
    for index, goto in enumerate(step.next):
        if _unconditional(goto.when):
            return step.next[: index + 1]
    return step.next


def _falls_through(step: Step) -> bool:
    """Whether the step that follows in the list comes next when no branch holds."""
    return not step.end and not any(_unconditional(g.when) for g in step.next)


def _surely_asked(step: Step) -> set[str]:
    """The fields of ``step`` every prospect passing through it answers."""
    return {
        f.id
        for f in step.fields
        if f.required and f.visible_if is None and f.type != "hidden"
    }


def _asked_before(spec: Spec, graph: _Graph) -> dict[int, frozenset[str]]:
    """For each reachable step, the fields answered on every path to it."""
    everything = frozenset(spec.fields_by_id)
    asked = [frozenset(_surely_asked(step)) for step in spec.steps]
    before = {index: everything for index in graph.reachable}
    before[0] = frozenset()
    changed = True
    while changed:
        changed = False
        for index in sorted(graph.reachable - {0}):
            paths = [before[p] | asked[p] for p in graph.predecessors[index]]
            meet = frozenset.intersection(*paths) if paths else frozenset()
            if meet != before[index]:
                before[index] = meet
                changed = True
    return before


# What every check reads.


class _Context:
    """A spec being checked, what is known about it, and the problems found."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.graph = _step_graph(spec)
        self.problems: list[Problem] = []

    def error(self, pointer: str, message: str) -> None:
        self.problems.append(Problem(self.spec.source, pointer, message, "error"))

    def warning(self, pointer: str, message: str) -> None:
        self.problems.append(Problem(self.spec.source, pointer, message, "warning"))

    @cached_property
    def asked_before(self) -> dict[int, frozenset[str]]:
        return _asked_before(self.spec, self.graph)

    @cached_property
    def always_known(self) -> frozenset[str]:
        """Names a condition can read anywhere: captured values, hidden fields."""
        hidden = {f.id for f in self.spec.fields_by_id.values() if f.type == "hidden"}
        return frozenset(self.spec.capture) | hidden

    @cached_property
    def readable(self) -> frozenset[str]:
        return frozenset(self.spec.fields_by_id) | self.always_known | {_SEGMENT_VAR}

    @cached_property
    def choices(self) -> dict[str, tuple[str, ...]]:
        """The values each choice field, and ``segment``, can hold."""
        values = {
            f.id: tuple(o.value for o in f.options)
            for f in self.spec.fields_by_id.values()
            if f.is_choice
        }
        values[_SEGMENT_VAR] = tuple(s.id for s in self.spec.segments)
        return values


def _all_fields(spec: Spec) -> Iterator[Field]:
    for step in spec.steps:
        yield from step.fields


def _all_rules(spec: Spec) -> Iterator[_Rule]:
    yield from spec.scoring
    yield from spec.knockouts
    for segment in spec.segments:
        yield from segment.scoring
        yield from segment.knockouts


def _repeats(items: Iterable[Any], key: str) -> Iterator[tuple[Any, Any]]:
    """Each item whose ``key`` was seen before, with the first item that had it."""
    first: dict[str, Any] = {}
    for item in items:
        name = getattr(item, key)
        if name in first:
            yield item, first[name]
        elif name:
            first[name] = item


# 1. Ids used twice, and reserved names.


def _check_duplicates(context: _Context) -> None:
    spec = context.spec
    for step, first in _repeats(spec.steps, "id"):
        context.error(
            f"{step.pointer}/id",
            f"step id '{step.id}' is already used at {first.pointer}; "
            "give each step its own id",
        )
    for field, first in _repeats(_all_fields(spec), "id"):
        context.error(
            f"{field.pointer}/id",
            f"field id '{field.id}' is already used at {first.pointer}; field ids "
            "must be unique across the whole form",
        )
    for segment, first in _repeats(spec.segments, "id"):
        context.error(
            f"{segment.pointer}/id",
            f"segment id '{segment.id}' is already used at {first.pointer}; "
            "give each segment its own id",
        )
    for rule, first in _repeats(_all_rules(spec), "id"):
        context.warning(
            f"{rule.pointer}/id",
            f"rule id '{rule.id}' is already used at {first.pointer}; give each "
            "rule its own id so that the reasons on a lead can be told apart",
        )


def _check_option_values(context: _Context) -> None:
    for field in _all_fields(context.spec):
        seen: set[str] = set()
        for index, option in enumerate(field.options):
            if option.value in seen:
                context.error(
                    f"{field.pointer}/options/{index}/value",
                    f"field '{field.id}' lists the option value '{option.value}' "
                    "twice; give each option its own value",
                )
            seen.add(option.value)


def _check_reserved_names(context: _Context) -> None:
    spec = context.spec
    for field in _all_fields(spec):
        if field.id == _SEGMENT_VAR:
            context.error(
                f"{field.pointer}/id",
                "the field id 'segment' is reserved: conditions read the "
                "prospect's segment under that name; rename the field",
            )
        elif field.id in spec.capture and field.type != "hidden":
            context.error(
                f"{field.pointer}/id",
                f"field '{field.id}' has the name of a captured landing-URL "
                "parameter, so the answer and the captured value overwrite each "
                f"other; rename the field, or make it hidden to keep the value",
            )
    if _SEGMENT_VAR in spec.capture and "capture" in spec.document:
        index = spec.capture.index(_SEGMENT_VAR)
        context.error(
            f"/capture/{index}",
            "'segment' cannot be captured: conditions read the prospect's "
            "segment under that name; remove it from capture",
        )


# 2. References to steps and fields that do not exist.


def _target_pointer(goto: Goto) -> str:
    """Where a branch names its step: ``next`` itself when written as a string."""
    return goto.pointer if goto.pointer.endswith("/next") else f"{goto.pointer}/goto"


def _check_references(context: _Context) -> None:
    spec = context.spec
    steps = list(spec.steps_by_id)
    for step in spec.steps:
        for goto in step.next:
            if goto.step not in spec.steps_by_id:
                context.error(
                    _target_pointer(goto),
                    f"step '{step.id}' sends to '{goto.step}', which no step "
                    f"defines{did_you_mean(goto.step, steps)}",
                )
    for segment in spec.segments:
        for index, name in enumerate(segment.steps):
            if name not in spec.steps_by_id:
                context.error(
                    f"{segment.pointer}/steps/{index}",
                    f"segment '{segment.id}' lists step '{name}', which no step "
                    f"defines{did_you_mean(name, steps)}",
                )
    written = "lead_fields" in spec.document
    for index, name in enumerate(spec.lead_fields):
        if name not in spec.fields_by_id:
            where = "" if not written else f"/lead_fields/{index}"
            default = "" if written else ' (lead_fields defaults to ["email"])'
            context.error(
                where,
                f"the lead field '{name}'{default} is not a field of this form"
                f"{did_you_mean(name, spec.fields_by_id)}; add a field with that "
                "id or change lead_fields",
            )


# 3. Fields whose settings do not fit their type.


def _check_fields(context: _Context) -> None:
    for field in _all_fields(context.spec):
        if field.is_choice and not field.options:
            context.error(
                field.pointer,
                f"field '{field.id}' is {field.type} but has no options; add options",
            )
        if field.options and not field.is_choice:
            context.warning(
                f"{field.pointer}/options",
                f"field '{field.id}' is {field.type}, so its options are never "
                "shown; remove them, or make it select, radio or checkboxes",
            )
        if field.type == "consent" and not field.consent_text:
            context.error(
                field.pointer,
                f"consent field '{field.id}' has no consent_text; add the exact "
                "text the prospect agrees to, so that it is kept with the lead",
            )
        _check_validation(context, field)


def _check_validation(context: _Context, field: Field) -> None:
    rules = field.validation
    where = f"{field.pointer}/validation"
    for key in rules:
        if key in _BOUNDS:
            _check_bound_fits(context, field, key)
    if "pattern" in rules:
        try:
            re.compile(rules["pattern"])
        except (re.error, RecursionError, OverflowError) as error:
            context.error(
                f"{where}/pattern",
                f"the pattern of field '{field.id}' is not a valid regular "
                f"expression ({error}); fix it or remove it",
            )
    for low, high in _PAIRS:
        if low in rules and high in rules and rules[low] > rules[high]:
            context.error(
                f"{where}/{low}",
                f"field '{field.id}' has {low} {rules[low]} above {high} "
                f"{rules[high]}, so no answer can pass; swap or correct them",
            )
    _check_date_bounds(context, field)


def _check_bound_fits(context: _Context, field: Field, key: str) -> None:
    meant_for, runs_on = _BOUNDS[key]
    if field.type in meant_for:
        return

    pointer = f"{field.pointer}/validation/{key}"
    types = _or_list(sorted(meant_for))
    what = f"'{key}' does not apply to field '{field.id}' ({field.type})"
    if field.type == "hidden":
        context.warning(pointer, f"{what}: hidden fields are never asked; remove it")
    elif _ANSWER_KIND.get(field.type, "text") in runs_on:
        context.warning(pointer, f"{what}; remove it (it is meant for {types})")
    else:
        context.error(
            pointer,
            f"{what} and makes the server fail when the field is answered; "
            f"remove it (it is meant for {types})",
        )


def _check_date_bounds(context: _Context, field: Field) -> None:
    dates = {}
    for key in ("min_date", "max_date"):
        text = field.validation.get(key)
        if text is None or text == "today":
            continue
        try:
            dates[key] = datetime.date.fromisoformat(text)
        except ValueError:
            context.error(
                f"{field.pointer}/validation/{key}",
                f"{key} '{text}' of field '{field.id}' is not a date; write it "
                "like 2027-03-31, or write 'today'",
            )
    if len(dates) == 2 and dates["min_date"] > dates["max_date"]:
        context.error(
            f"{field.pointer}/validation/min_date",
            f"field '{field.id}' has min_date after max_date, so no date can "
            "pass; swap or correct them",
        )


def _or_list(names: list[str]) -> str:
    if len(names) == 1:
        return f"{names[0]} fields"
    return f"{', '.join(names[:-1])} or {names[-1]} fields"


# 4. Conditions.


def _conditions(spec: Spec) -> Iterator[tuple[str, Any]]:
    """``(pointer, rule)`` for every condition in the spec."""
    for field in _all_fields(spec):
        if field.visible_if is not None:
            yield f"{field.pointer}/visible_if", field.visible_if
    for step in spec.steps:
        for goto in step.next:
            if goto.when is not None:
                yield f"{goto.pointer}/when", goto.when
    for segment in spec.segments:
        if segment.when is not None:
            yield f"{segment.pointer}/when", segment.when
    for rule in _all_rules(spec):
        yield f"{rule.pointer}/when", rule.when


def _check_conditions(context: _Context) -> None:
    for pointer, rule in _conditions(context.spec):
        broken = _check_operations(context, pointer, rule)
        if not broken:
            try:
                evaluate(rule, {})
            except LogicError as error:
                context.error(pointer, f"this condition cannot be evaluated: {error}")
        _check_variables(context, pointer, rule)
        _check_compared_values(context, pointer, rule)


def _check_operations(context: _Context, pointer: str, rule: Any) -> bool:
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


def _check_variables(context: _Context, pointer: str, rule: Any) -> None:
    for name in sorted(variables_in(rule) - context.readable):
        context.error(
            pointer,
            f"this condition reads '{name}', which is neither a field, a captured "
            f"parameter nor 'segment'{did_you_mean(name, context.readable)}",
        )


def _check_compared_values(context: _Context, pointer: str, rule: Any) -> None:
    for where, name, literal in _compared_literals(context, rule, pointer):
        choices = context.choices[name]
        hint = did_you_mean(literal, choices)
        if name == _SEGMENT_VAR:
            message = f"there is no segment '{literal}'{hint}"
        else:
            message = f"field '{name}' has no option '{literal}'{hint}"
        context.warning(where, message)


def _compared_literals(
    context: _Context, rule: Any, pointer: str
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


def _is_list_field(context: _Context, name: str | None) -> bool:
    field = context.spec.fields_by_id.get(name or "")
    return field is not None and field.type == "checkboxes"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


# 5. Steps and the paths between them.


def _check_steps(context: _Context) -> None:
    spec, graph = context.spec, context.graph
    for index, step in enumerate(spec.steps):
        if index not in graph.reachable:
            context.error(
                step.pointer,
                f"step '{step.id}' cannot be reached from the first step "
                f"'{spec.steps[0].id}'; send to it from another step's next, or "
                "remove it",
            )
        _check_branches(context, index, step)
        _check_step_fields(context, step)


def _check_branches(context: _Context, index: int, step: Step) -> None:
    if step.end and step.next:
        context.warning(
            f"{step.pointer}/next",
            f"step '{step.id}' ends the form, so its next is ignored; remove next "
            "or end",
        )
        return
    live = _live_branches(step)
    for goto in step.next[len(live) :]:
        context.warning(
            goto.pointer,
            f"this branch of step '{step.id}' comes after the branch without "
            "'when', so it is never taken; move it up or remove it",
        )
    if step.next and _falls_through(step):
        following = context.spec.steps[index + 1 : index + 2]
        then = f"continues with step '{following[0].id}'" if following else "ends"
        context.warning(
            f"{step.pointer}/next",
            f"step '{step.id}' has no branch without 'when': if no branch holds "
            f"the form {then}; add a last branch without 'when' to say so",
        )


def _check_step_fields(context: _Context, step: Step) -> None:
    if not step.fields:
        context.error(
            step.pointer,
            f"step '{step.id}' has nothing to ask; add fields or remove the step",
        )
    elif all(f.type == "hidden" or f.visible_if is not None for f in step.fields):
        context.warning(
            f"{step.pointer}/fields",
            f"step '{step.id}' can be reached with nothing to ask (each field is "
            "hidden or has visible_if); it is then skipped",
        )


def _check_loops(context: _Context) -> None:
    spec, graph = context.spec, context.graph
    reach = {index: graph.reach(index) for index in graph.reachable}
    placed: set[int] = set()
    for start in sorted(graph.reachable):
        if start in placed:
            continue
        members = {i for i in reach[start] if i in reach and start in reach[i]}
        placed |= members
        if len(members) == 1 and start not in graph.successors[start]:
            continue
        loop = " → ".join(f"'{spec.steps[i].id}'" for i in _loop_path(graph, start))
        if not any(reach[i] & graph.ends for i in members):
            context.error(
                spec.steps[start].pointer,
                f"steps {loop} loop with no way out; send one of them to a step "
                "that ends the form",
            )
        else:
            context.warning(
                spec.steps[start].pointer,
                f"steps {loop} form a loop; a prospect sent back to a step already "
                "answered is stuck there, so make sure the branches never go round",
            )


def _loop_path(graph: _Graph, start: int) -> list[int]:
    """The shortest way from ``start`` back to itself, as step positions."""
    parents: dict[int, int] = {}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for following in graph.successors[node]:
            if following == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*reversed(path), start]
            if following not in parents:
                parents[following] = node
                todo.append(following)
    return [start]


# 6. Conditions that read answers not given yet.


def _check_data_flow(context: _Context) -> None:
    spec = context.spec
    for index in sorted(context.graph.reachable):
        step = spec.steps[index]
        before = context.asked_before[index] | context.always_known
        own = {f.id for f in step.fields}
        if index > 0:
            before |= {_SEGMENT_VAR}
        for field in step.fields:
            known = before | (own - {field.id})
            for name in _unread(context, field.visible_if, known):
                context.warning(
                    f"{field.pointer}/visible_if",
                    f"the visible_if of field '{field.id}' reads "
                    + _not_yet(name, step),
                )
        after = before | own | {_SEGMENT_VAR}
        for goto in [] if step.end else _live_branches(step):
            for name in _unread(context, goto.when, after):
                context.warning(
                    f"{goto.pointer}/when",
                    f"this branch of step '{step.id}' reads '{name}', which is not "
                    f"asked on every path up to step '{step.id}'; ask it there or "
                    "earlier as a required field without visible_if",
                )


def _not_yet(name: str, step: Step) -> str:
    if name == _SEGMENT_VAR:
        return (
            f"'segment', which is not known before the first step '{step.id}' is "
            "answered; move the field to a later step"
        )
    return (
        f"'{name}', which is not asked before step '{step.id}' on every path; ask "
        "it earlier as a required field without visible_if"
    )


def _unread(context: _Context, rule: Any, known: Iterable[str]) -> list[str]:
    """The names ``rule`` reads that exist in the spec but are not in ``known``."""
    if rule is None:
        return []
    reads = variables_in(rule) & context.readable
    return sorted(reads - set(known))


# 7. Lead fields.


def _check_lead_fields(context: _Context) -> None:
    spec = context.spec
    leads = []
    for name in spec.lead_fields:
        field = spec.fields_by_id.get(name)
        if field is None:
            continue
        if not field.required:
            context.error(
                field.pointer,
                f"'{name}' is a lead field but is not required; add "
                '"required": true so that every lead has it',
            )
        else:
            leads.append(name)
    for index in sorted(context.graph.ends & context.graph.reachable):
        step = spec.steps[index]
        asked = context.asked_before[index] | _surely_asked(step)
        for name in leads:
            if name not in asked:
                context.error(
                    step.pointer,
                    f"a prospect can finish the form at step '{step.id}' without "
                    f"being asked the lead field '{name}'; ask it on every path as "
                    "a required field without visible_if",
                )


# 8. Qualification: tiers, routes and segments.


def _check_bands(context: _Context) -> None:
    spec = context.spec
    _check_band_set(context, spec.tiers)
    for segment in spec.segments:
        _check_band_set(context, segment.tiers)


def _check_band_set(context: _Context, bands: tuple[Band, ...]) -> None:
    for band in bands:
        if band.tier == DISQUALIFIED:
            context.error(
                f"{band.pointer}/tier",
                "the tier name 'disqualified' is kept for knock-outs; give this "
                "tier another name",
            )
        if band.low is not None and band.high is not None and band.low >= band.high:
            context.error(
                band.pointer,
                f"tier {_band_words(band)} is empty: 'from' must be below 'to'",
            )
    for side, key in (("low", "from"), ("high", "to")):
        open_bands = [b for b in bands if getattr(b, side) is None]
        for band in open_bands[1:]:
            context.error(
                band.pointer,
                f"tiers '{open_bands[0].tier}' and '{band.tier}' both leave out "
                f"'{key}'; only the {'lowest' if key == 'from' else 'highest'} "
                "tier may",
            )
    valid = [b for b in bands if b.low is None or b.high is None or b.low < b.high]
    _check_overlaps(context, valid)
    _check_gaps(context, valid)


def _check_overlaps(context: _Context, bands: list[Band]) -> None:
    for later_index, later in enumerate(bands):
        for earlier in bands[:later_index]:
            low = max(_low(earlier), _low(later))
            high = min(_high(earlier), _high(later))
            if float("-inf") < low < high < float("inf"):
                context.error(
                    later.pointer,
                    f"tiers {_band_words(earlier)} and {_band_words(later)} overlap "
                    f"between {_number(low)} and {_number(high)}; make one stop "
                    "where the other starts",
                )


def _check_gaps(context: _Context, bands: list[Band]) -> None:
    for band in bands:
        if band.high is None or any(b.contains(band.high) for b in bands):
            continue
        starts = [b for b in bands if b.low is not None and b.low > band.high]
        if starts:
            above = min(starts, key=_low)
            context.error(
                above.pointer,
                f"no tier covers scores from {_number(band.high)} up to "
                f"{_number(_low(above))}, between tiers {_band_words(band)} and "
                f"{_band_words(above)}; make one start where the other stops",
            )
        else:
            lowest = min(bands, key=_low)
            context.warning(
                band.pointer,
                f"no tier covers scores of {_number(band.high)} and above, so they "
                f"get the lowest tier '{lowest.tier}'; leave out 'to' on tier "
                f"'{band.tier}'",
            )


def _low(band: Band) -> float:
    return float("-inf") if band.low is None else band.low


def _high(band: Band) -> float:
    return float("inf") if band.high is None else band.high


def _band_words(band: Band) -> str:
    if band.low is not None and band.high is not None:
        return f"'{band.tier}' ({_number(band.low)} to {_number(band.high)})"
    if band.low is not None:
        return f"'{band.tier}' (from {_number(band.low)})"
    if band.high is not None:
        return f"'{band.tier}' (below {_number(band.high)})"
    return f"'{band.tier}' (any score)"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_routes(context: _Context) -> None:
    spec = context.spec
    scopes: list[Segment | None] = list(spec.segments) or [None]
    for segment in scopes:
        _check_scope(context, segment)

    every_tier = {b.tier for s in [None, *spec.segments] for b in spec.tiers_for(s)}
    _check_route_names(context, spec.routes, every_tier)
    for segment in spec.segments:
        tiers = {b.tier for b in spec.tiers_for(segment)}
        _check_route_names(context, segment.routes, tiers)


def _check_scope(context: _Context, segment: Segment | None) -> None:
    """Tiers and routes in force for the prospects of ``segment``."""
    spec = context.spec
    bands = spec.tiers_for(segment)
    scoring = spec.scoring + (segment.scoring if segment else ())
    knockouts = spec.knockouts + (segment.knockouts if segment else ())
    if segment is None:
        where = "/qualification" if "qualification" in spec.document else ""
        who, routes = "the form", "qualification.routes"
    else:
        where, who, routes = segment.pointer, f"segment '{segment.id}'", "routes"

    if scoring and not bands:
        context.warning(
            where,
            f"{who} has scoring rules but no tiers, so every lead is tagged "
            "'unrated'; add tiers",
        )
    needed = [b.tier for b in bands] + ([DISQUALIFIED] if knockouts else [])
    for tier in dict.fromkeys(needed):
        if spec.route_for(segment, tier) is None:
            context.error(
                where, f"{who} has no route for tier '{tier}'; add {routes}.{tier}"
            )


def _check_route_names(
    context: _Context, routes: dict[str, Any], tiers: set[str]
) -> None:
    for name, route in routes.items():
        if name != DISQUALIFIED and name not in tiers:
            known = ", ".join(f"'{t}'" for t in sorted(tiers)) or "none"
            context.warning(
                route.pointer,
                f"route '{name}' is for no tier{did_you_mean(name, tiers)}; the "
                f"tiers here are {known}",
            )


def _check_segments(context: _Context) -> None:
    segments = context.spec.segments
    for index, segment in enumerate(segments):
        if _unconditional(segment.when) and index < len(segments) - 1:
            later = ", ".join(f"'{s.id}'" for s in segments[index + 1 :])
            context.error(
                segment.pointer,
                f"segment '{segment.id}' has no 'when', so it takes every prospect "
                f"and the segments after it ({later}) are never used; move it "
                "last or give it a 'when'",
            )
            return
    if segments and not _unconditional(segments[-1].when):
        context.warning(
            "/segments",
            "every segment has a 'when', so a prospect matching none gets no "
            "segment and the tiers and routes of qualification; add a last "
            "segment without 'when' to catch them",
        )


# Files and folders.


def _check_path(path: Path, seen: set[str]) -> list[Problem]:
    try:
        if path.is_dir():
            return _check_folder(path, seen)
        if not path.exists():
            return [Problem(str(path), "", "no such file or folder")]
    except OSError as error:
        return [Problem(str(path), "", f"cannot read it: {_reason(error)}")]

    if path.name == CLIENT_FILE:
        return _check_file(path, seen, client=True)
    return _check_file(path, seen, client=False) + _client_file_missing(path.parent)


def _check_folder(folder: Path, seen: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    found = False

    def unreadable(error: OSError) -> None:
        where = error.filename or str(folder)
        message = f"cannot read the folder: {_reason(error)}"
        problems.append(Problem(str(where), "", message))

    for current, folders, files in os.walk(folder, onerror=unreadable):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        here = Path(current)
        specs = spec_paths(here)
        if CLIENT_FILE in files:
            problems += _check_file(here / CLIENT_FILE, seen, client=True)
        elif specs:
            problems += _client_file_missing(here)
        found = found or CLIENT_FILE in files or bool(specs)
        for path in specs:
            problems += _check_file(path, seen, client=False)
    if not found and not problems:
        message = "no client folder (one holding client.json) was found here"
        problems.append(Problem(str(folder), "", message, "warning"))
    return problems


def _client_file_missing(folder: Path) -> list[Problem]:
    if (folder / CLIENT_FILE).is_file():
        return []
    message = (
        "this folder holds form specs but no client.json; add one with at least "
        'the client\'s "name"'
    )
    return [Problem(str(folder), "", message)]


def _check_file(path: Path, seen: set[str], *, client: bool) -> list[Problem]:
    key = os.path.realpath(path)
    if key in seen:
        return []
    seen.add(key)
    source = str(path)
    try:
        if not path.is_file():
            kind = "a folder" if path.is_dir() else "not a regular file"
            return [Problem(source, "", f"this is {kind}, not a JSON file")]
        if client:
            load_client(path)
            return []
        return check_spec(load_spec(path))
    except SpecError as error:
        return error.problems
    except RecursionError:
        return [Problem(source, "", "the JSON is nested too deeply to check")]
    except Exception as error:
        # Whatever a file holds must come back as a problem, not a traceback.
        logger.exception("Checking %s failed", source)
        message = f"the checker failed on this file ({error!r}); please report it"
        return [Problem(source, "", message)]


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
