"""Data flow: what is surely asked before each step, and who reads it too early.

A field counts as asked on a path when every prospect on it answers the field:
it is required, has no visible_if and is not hidden. Conditions that read a
field before that point, and lead fields a path can skip, are reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..branches import live_branches
from ..logic import variables_in
from ..spec import Spec, Step
from .context import SEGMENT_VAR, Context
from .graph import Graph

#: For each reachable step, by position, the fields asked on every path to it.
AskedBefore = dict[int, frozenset[str]]


def check_data_flow(context: Context) -> None:
    """Conditions that read answers not given yet, and lead fields a path skips."""
    asked = _asked_before(context.spec, context.graph)
    _check_reads(context, asked)
    _check_lead_fields(context, asked)


def _surely_asked(step: Step) -> set[str]:
    """The fields of ``step`` every prospect passing through it answers."""
    return {
        f.id
        for f in step.fields
        if f.required and f.visible_if is None and f.type != "hidden"
    }


def _asked_before(spec: Spec, graph: Graph) -> AskedBefore:
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


def _check_reads(context: Context, asked: AskedBefore) -> None:
    spec = context.spec
    for index in sorted(context.graph.reachable):
        step = spec.steps[index]
        before = asked[index] | context.always_known
        own = {f.id for f in step.fields}
        if index > 0:
            before |= {SEGMENT_VAR}
        for field in step.fields:
            known = before | (own - {field.id})
            for name in _unread(context, field.visible_if, known):
                context.warning(
                    f"{field.pointer}/visible_if",
                    f"the field {context.field_words(field.id)} is shown when "
                    f"{context.condition_words(field.visible_if)}, but "
                    + _not_yet(context, name, step),
                )
        after = before | own | {SEGMENT_VAR}
        for goto in [] if step.end else live_branches(step):
            for name in _unread(context, goto.when, after):
                context.warning(
                    f"{goto.pointer}/when",
                    f"the branch when {context.condition_words(goto.when)} reads "
                    f"{context.field_words(name)}, which is not asked on every "
                    f"path up to step '{step.id}'; ask it there or earlier as a "
                    "required field without visible_if",
                )


def _not_yet(context: Context, name: str, step: Step) -> str:
    if name == SEGMENT_VAR:
        return (
            f"the segment is not known before the first step '{step.id}' is "
            "answered; move the field to a later step"
        )
    return (
        f"{context.field_words(name)} is not asked before step '{step.id}' on "
        "every path; ask it earlier as a required field without visible_if"
    )


def _unread(context: Context, rule: Any, known: Iterable[str]) -> list[str]:
    """The names ``rule`` reads that exist in the spec but are not in ``known``."""
    if rule is None:
        return []
    reads = variables_in(rule) & context.readable
    return sorted(reads - set(known))


def _check_lead_fields(context: Context, asked: AskedBefore) -> None:
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
        surely = asked[index] | _surely_asked(step)
        for name in leads:
            if name not in surely:
                context.error(
                    step.pointer,
                    f"a prospect can finish the form at step '{step.id}' without "
                    f"being asked the lead field '{name}'; ask it on every path as "
                    "a required field without visible_if",
                )
