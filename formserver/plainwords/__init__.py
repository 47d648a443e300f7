"""Conditions in plain words: JsonLogic rules read back as English sentences.

The step graph and ``formserver graph`` show a marketer what a condition means
without reading JSON: a field is named by its label, as it stands, an option
value by its option label, a segment by its segment label, and other literal
text in curly quotes. Any input gets a description, never an exception: what
has no plain reading, or nests deeper than :data:`MAX_DEPTH`, is shown as
compact JSON.

The phrasings live in :mod:`.clauses` (tests, which can be negated) and
:mod:`.expressions` (everything else); :mod:`.reading` walks a rule through
them, and :mod:`.values` shows literals and names.
"""

from __future__ import annotations

from typing import Any

from ..spec import Goto, Spec
from .reading import MAX_DEPTH, MAX_OPERATIONS, Scope
from .values import MAX_LISTED, short

__all__ = [
    "MAX_DEPTH",
    "MAX_LISTED",
    "MAX_OPERATIONS",
    "describe",
    "describe_goto",
    "step_name",
]


def describe(rule: Any, spec: Spec | None = None) -> str:
    """``rule`` as an English sentence, with the labels of ``spec``.

    >>> describe({">=": [{"var": "ticket_size"}, 1000000]})
    'ticket_size is at least 1,000,000'
    """
    if rule is None or rule is True:
        return "always"
    if rule is False:
        return "never"
    return Scope(spec).condition(rule)


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
    return f"“{short((step.title or step.id) if step else step_id, 80)}”"
