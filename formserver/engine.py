"""The flow engine: where a prospect stands in a spec, and what to ask next.

A :class:`Flow` is rebuilt from what is stored (the spec, the answers by step, the
lead's known profile and the values captured from the landing URL) on every
request. It walks the spec from the first step, following each step's branches
with the answers given so far, so answers left behind on a branch the prospect
backed out of are never on the path and never count. It knows nothing of HTTP.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wtforms import Form

from .forms import FormData, answer_value, form_class
from .logic import holds, variables_in
from .profiling import Known, allowed_new_questions, is_known, queue
from .qualification import Tag, assign_segment, qualify
from .spec import Field, Segment, Spec, Step

Answers = dict[str, dict[str, Any]]


class FlowError(ValueError):
    """A request that does not fit where the prospect stands in the form."""


@dataclass
class StepResult:
    """The outcome of submitting one step: clean values, or messages per field."""

    step: Step
    form: Form
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class Flow:
    """A prospect's position in ``spec`` given the answers so far."""

    def __init__(
        self,
        spec: Spec,
        answers: Answers | None = None,
        profile: Mapping[str, Known] | None = None,
        captured: Mapping[str, str] | None = None,
        now: datetime.datetime | None = None,
    ) -> None:
        self.spec = spec
        self.answers: Answers = answers or {}
        self.profile: Mapping[str, Known] = profile or {}
        self.captured = {k: v for k, v in (captured or {}).items() if k in spec.capture}
        self.now = now or datetime.datetime.now(datetime.UTC)
        self.path: list[str] = []
        self.current: Step | None = None
        self.looped = False
        self._data_before: dict[str, dict[str, Any]] = {}
        self._asked_once: set[str] = set()
        self._taken: dict[str, Any] = {}
        self._allowed_by_step: dict[tuple[str, frozenset[str]], set[str] | None] = {}
        self.data = self._base_data()
        self._walk()

    @property
    def complete(self) -> bool:
        """Whether every step on the path is answered and the last one ends."""
        return self.current is None

    @property
    def segment(self) -> Segment | None:
        return self.spec.segment(self.data.get("segment"))

    def _base_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field_ in self.spec.fields_by_id.values():
            known = self.profile.get(field_.profile_key)
            if known is not None:
                data[field_.id] = known.value
            if field_.type == "hidden":
                data[field_.id] = self.captured.get(field_.id, field_.value) or None
        data.update(self.captured)
        data["segment"] = None
        data["segment"] = _segment_id(assign_segment(self.spec, data))
        return data

    def _walk(self) -> None:
        step: Step | None = self.spec.first_step
        while step is not None:
            if step.id in self._data_before:
                self.looped = True
                self.current = step
                return

            self._data_before[step.id] = dict(self.data)
            shown = self.fields_to_ask(step)
            given = self.answers.get(step.id)
            if shown and self._must_ask(shown, given):
                self.current = step
                return

            self.path.append(step.id)
            if given is not None:
                self._take([f for f in shown if f.id in given], given)
            step = self.next_step(step)

    def _must_ask(self, shown: list[Field], given: dict[str, Any] | None) -> bool:
        """Whether a step showing ``shown`` still waits for an answer.

        An answered step is not reopened for ask-once questions that profiling
        let in only later (say, once a typed email matched a known lead): the
        prospect would be sent back to a page they had finished, so those wait
        for the next visit like any other held-back question.
        """
        if given is None:
            return True
        return any(f.id not in given and not self._may_hold_back(f) for f in shown)

    def _may_hold_back(self, field_: Field) -> bool:
        return field_.ask_once and field_.id not in self.spec.never_held_back

    def _take(self, shown: list[Field], given: dict[str, Any]) -> None:
        for field_ in shown:
            self.data[field_.id] = given.get(field_.id)
            self._taken[field_.id] = given.get(field_.id)
            if self._may_hold_back(field_):
                self._asked_once.add(field_.id)
        self.data["segment"] = None
        self.data["segment"] = _segment_id(assign_segment(self.spec, self.data))

    def next_step(self, step: Step, data: dict[str, Any] | None = None) -> Step | None:
        """The step after ``step`` for ``data``; None when ``step`` ends the form."""
        if step.end:
            return None
        data = self.data if data is None else data
        for goto in step.next:
            if holds(goto.when, data):
                return self.spec.steps_by_id.get(goto.step)
        # Without a next step, or when no branch holds, the listed order goes on.
        return self.spec.following.get(step.id)

    def fields_to_ask(self, step: Step) -> list[Field]:
        """The fields of ``step`` to show, with visibility and profiling applied.

        A field whose ``visible_if`` reads another field asked on the same step
        is shown, and decided when the step is submitted (and live in the
        browser); every other condition is decided here.
        """
        data = self._data_before.get(step.id, self.data)
        candidates = self._candidates(step, data)
        asked = {f.id for f in candidates}
        return [
            f
            for f in candidates
            if f.visible_if is None
            or variables_in(f.visible_if) & asked
            or holds(f.visible_if, data)
        ]

    def _candidates(self, step: Step, data: dict[str, Any]) -> list[Field]:
        """The fields of ``step`` not hidden, not known and not held back."""
        unknown = [
            f
            for f in step.fields
            if f.ask_once
            and f.id not in self.spec.never_held_back
            and not is_known(f, self.profile, self.now)
        ]
        allowed = self._allowed(step, unknown, data)
        held_back = {f.id for f in unknown} - (allowed or set())
        if self.spec.profiling.max_new_questions is None:
            held_back = set()
        return [
            f
            for f in step.fields
            if f.type != "hidden"
            and not is_known(f, self.profile, self.now)
            and f.id not in held_back
        ]

    def _allowed(
        self, step: Step, unknown: list[Field], data: dict[str, Any]
    ) -> set[str] | None:
        """The ask-once fields this visit may ask, as seen from ``step``.

        Only questions on steps the prospect has passed or may still reach
        compete for the visit's places: one on a branch left behind would
        take a place and never be asked.
        """
        if not unknown or self.spec.profiling.max_new_questions is None:
            return None
        # A step's data is fixed once it is reached, so the answer for it only
        # changes with what the visit has asked so far; ranking by ``auto``
        # priority is dear, and a request asks for it many times.
        key = (step.id, frozenset(self._asked_once))
        if key not in self._allowed_by_step:
            self._allowed_by_step[key] = self._rank_allowed(step, data)
        return self._allowed_by_step[key]

    def _rank_allowed(self, step: Step, data: dict[str, Any]) -> set[str] | None:
        spec = self.spec
        segment = spec.segment(data.get("segment"))
        steps = spec.reachable[step.id].union(self.path)
        candidates = [
            f
            for f in queue(spec, segment)
            if spec.step_of_field[f.id] in steps
            and not is_known(f, self.profile, self.now)
        ]
        return allowed_new_questions(
            spec, segment, candidates, set(self._asked_once), data
        )

    def is_dynamic(self, step: Step, field_: Field) -> bool:
        """Whether ``field_`` shows or hides as other answers of ``step`` change."""
        data = self._data_before.get(step.id, self.data)
        asked = {f.id for f in self._candidates(step, data)}
        return bool(variables_in(field_.visible_if) & asked)

    def submit(self, step_id: str, formdata: Mapping[str, Iterable[str]]) -> StepResult:
        """Validate the answers to ``step_id`` posted as ``formdata``.

        The step must be on the path or be the current step. Nothing is stored:
        the caller saves ``result.values`` under ``step_id`` when ``result.ok``.
        """
        step = self.step_for(step_id)
        shown = self.fields_to_ask(step)
        form = form_class(self.spec, step.id, tuple(f.id for f in shown))(
            FormData(formdata)
        )
        form.validate()
        trial = dict(self._data_before[step.id])
        trial.update({f.id: answer_value(f, form[f.id].data) for f in shown})
        visible = [
            f
            for f in shown
            if not self.is_dynamic(step, f) or holds(f.visible_if, trial)
        ]

        result = StepResult(step=step, form=form)
        for field_ in visible:
            if form[field_.id].errors:
                result.errors[field_.id] = list(form[field_.id].errors)
        for field_ in shown:
            visible_now = field_ in visible
            value = answer_value(field_, form[field_.id].data) if visible_now else None
            result.values[field_.id] = value
        return result

    def step_for(self, step_id: str) -> Step:
        """``step_id`` if the prospect may see it now: on the path, or current."""
        on_path = step_id in self.path
        is_current = self.current is not None and self.current.id == step_id
        if not (on_path or is_current):
            raise FlowError(f"The step {step_id!r} is not open to this prospect now.")
        return self.spec.steps_by_id[step_id]

    def data_before(self, step_id: str) -> dict[str, Any]:
        """The answers and profile as they stood when ``step_id`` was reached."""
        return dict(self._data_before[step_id])

    def planned_path(self) -> list[str]:
        """The steps with something to ask: done, current, and likely still ahead.

        Steps ahead follow the branches as they would go with what is known now,
        so the progress indicator counts only what will really be asked.
        """
        done = [s for s in self.path if self.fields_to_ask(self.spec.steps_by_id[s])]
        if self.current is None:
            return done
        ahead = [self.current.id]
        step = self.next_step(self.current)
        while step is not None and step.id not in ahead and step.id not in self.path:
            if self.fields_to_ask(step):
                ahead.append(step.id)
            step = self.next_step(step)
        return done + ahead

    def collected(self) -> dict[str, Any]:
        """Every answer that counts, by field id.

        Answers left on a branch the prospect backed out of, or to questions
        that a later change of answer hid again, are left out.
        """
        return dict(self._taken)

    def profile_updates(self) -> dict[str, Any]:
        """The answers to keep in the lead's profile, by profile key."""
        fields = self.spec.fields_by_id
        return {
            fields[field_id].profile_key: value
            for field_id, value in self.collected().items()
            if value not in (None, "", [])
        }

    def tag(self) -> Tag:
        """The qualification tag for everything known at this point."""
        return qualify(self.spec, self.data)


def _segment_id(segment: Segment | None) -> str | None:
    return segment.id if segment else None
