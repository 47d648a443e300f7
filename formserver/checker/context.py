"""What every check reads: the spec, its step graph, and the problems found."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

from ..plainwords import describe
from ..plainwords.values import short
from ..problems import Problem, one_line
from ..spec import Field, Knockout, ScoringRule, Spec
from .graph import step_graph

#: The name under which conditions read the prospect's segment.
SEGMENT_VAR = "segment"

Rule = ScoringRule | Knockout

#: Characters of a condition quoted in a message before it is cut short.
_WORDS_LIMIT = 100


class Context:
    """A spec being checked, what is known about it, and the problems found."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.graph = step_graph(spec)
        self.problems: list[Problem] = []

    def error(self, pointer: str, message: str) -> None:
        """Report something that stops the spec from working as written."""
        self.problems.append(Problem(self.spec.source, pointer, message, "error"))

    def warning(self, pointer: str, message: str) -> None:
        """Report something that works, but likely not as the marketer meant."""
        self.problems.append(Problem(self.spec.source, pointer, message, "warning"))

    def condition_words(self, rule: Any) -> str:
        """``rule`` in plain words and curly quotes, short enough for one line."""
        return f"“{one_line(short(describe(rule, self.spec), _WORDS_LIMIT))}”"

    def field_words(self, name: str) -> str:
        """The field a condition reads ``name`` by, named by its label."""
        field = self.spec.fields_by_id.get(name)
        label = field.label if field is not None else name
        return f"“{one_line(short(label, 60))}”"

    @cached_property
    def always_known(self) -> frozenset[str]:
        """Names a condition can read anywhere: captured values, hidden fields."""
        hidden = {f.id for f in self.spec.fields_by_id.values() if f.type == "hidden"}
        return frozenset(self.spec.capture) | hidden

    @cached_property
    def readable(self) -> frozenset[str]:
        """Every name a condition can read: fields, captured values, segment."""
        return frozenset(self.spec.fields_by_id) | self.always_known | {SEGMENT_VAR}

    @cached_property
    def choices(self) -> dict[str, tuple[str, ...]]:
        """The values each choice field, and ``segment``, can hold."""
        values = {
            f.id: tuple(o.value for o in f.options)
            for f in self.spec.fields_by_id.values()
            if f.is_choice
        }
        values[SEGMENT_VAR] = tuple(s.id for s in self.spec.segments)
        return values


def all_fields(spec: Spec) -> Iterator[Field]:
    """Every field of every step, in the order of the spec."""
    for step in spec.steps:
        yield from step.fields


def all_rules(spec: Spec) -> Iterator[Rule]:
    """Every scoring rule and knock-out, the form's first, then each segment's."""
    yield from spec.scoring
    yield from spec.knockouts
    for segment in spec.segments:
        yield from segment.scoring
        yield from segment.knockouts
