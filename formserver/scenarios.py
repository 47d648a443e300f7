"""Form tests: scenarios beside a spec that say where given answers must lead.

``<form>.tests.json`` holds ``{"scenarios": [...]}``; each scenario has a
``name``, the ``answers`` a prospect types (by field id, as text or a list of
texts), optionally a known ``profile`` (by profile key) and values ``captured``
from the landing URL, and what to ``expect``: any of ``path``, ``segment``,
``tier``, ``score``, ``route`` (the track) and ``reasons`` (rule ids that fire).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalog import TESTS_SUFFIX
from .engine import Flow
from .problems import Problem, SpecError, did_you_mean
from .profiling import Known
from .spec import Spec
from .specfile import parse_json

#: What a scenario can say about where its answers lead.
EXPECTABLE = ("path", "segment", "tier", "score", "route", "reasons")

_SETTINGS = ("name", "answers", "profile", "captured", "expect")
_SHAPE = '{"scenarios": [{"name": …, "answers": {…}, "expect": {…}}]}'


@dataclass(frozen=True)
class Outcome:
    """Where a scenario's answers led.

    ``stopped_at`` is the step the scenario could not get past, ``errors`` the
    form's messages there by field id, and ``why`` says it in words.
    """

    path: list[str]
    tag: dict[str, Any] | None
    stopped_at: str | None = None
    errors: dict[str, list[str]] | None = None
    why: str | None = None


def tests_path(spec_path: Path) -> Path:
    """Where the scenarios of the spec at ``spec_path`` live."""
    return spec_path.with_name(spec_path.stem + TESTS_SUFFIX)


def load_scenarios(path: Path) -> list[dict[str, Any]]:
    """The scenarios in ``path``; raise :class:`SpecError` when unreadable."""
    source = str(path)
    try:
        document = parse_json(path.read_bytes(), source)
    except OSError as error:
        message = f"cannot read the file: {error.strerror or error}"
        raise SpecError([Problem(source, "", message)]) from None

    scenarios = document.get("scenarios") if isinstance(document, dict) else None
    if not isinstance(scenarios, list):
        message = f"a tests file holds a list of scenarios, like {_SHAPE}"
        raise SpecError([Problem(source, "", message)])
    problems = [
        Problem(source, f"/scenarios/{index}{pointer}", message)
        for index, scenario in enumerate(scenarios)
        for pointer, message in _shape_problems(scenario)
    ]
    if problems:
        raise SpecError(problems)
    return scenarios


def _shape_problems(scenario: Any) -> list[tuple[str, str]]:
    """``(pointer, message)`` for each part of ``scenario`` that cannot be read."""
    if not isinstance(scenario, dict):
        return [("", 'a scenario is an object {"name": …, "answers": {…}, …}')]

    found = [
        ("", f"'{key}' is not a setting of a scenario{did_you_mean(key, _SETTINGS)}")
        for key in scenario
        if key not in _SETTINGS
    ]
    if not isinstance(scenario.get("name", ""), str):
        found.append(("/name", "the name should be text in quotes"))
    for key in _SETTINGS[1:]:
        if not isinstance(scenario.get(key, {}), dict):
            found.append((f"/{key}", f"'{key}' should be an object {{…}}"))
    answers = scenario.get("answers", {})
    for field_id, value in answers.items() if isinstance(answers, dict) else ():
        if not _typeable(value):
            found.append(
                (
                    f"/answers/{_escape(field_id)}",
                    f"the answer to '{field_id}' should be text, a number, true "
                    "or false, or a list of texts",
                )
            )
    return found


def _typeable(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, str | int | float) for v in value)
    return isinstance(value, str | int | float)


def play(spec: Spec, scenario: dict[str, Any]) -> Outcome:
    """Walk ``spec`` answering every step from the scenario, like a prospect."""
    typed = scenario.get("answers", {})
    profile = {k: Known(v) for k, v in scenario.get("profile", {}).items()}
    captured = scenario.get("captured", {})
    answers: dict[str, dict[str, Any]] = {}

    for _ in range(len(spec.steps) + 1):
        flow = Flow(spec, answers, profile, captured)
        step = flow.current
        if step is None or flow.looped:
            break
        formdata = {
            f.id: _as_list(typed[f.id])
            for f in flow.fields_to_ask(step)
            if f.id in typed
        }
        result = flow.submit(step.id, formdata)
        if not result.ok:
            refusal = _refusals(spec, typed, result.errors)
            return Outcome(flow.path, None, step.id, result.errors, refusal)
        answers[step.id] = result.values

    flow = Flow(spec, answers, profile, captured)
    if flow.complete:
        return Outcome(flow.path, flow.tag().as_dict())
    stopped = flow.current.id if flow.current else None
    why = "the path goes back to a step already answered" if flow.looped else None
    return Outcome(flow.path, None, stopped_at=stopped, why=why)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return ["y"] if value else []
    return [str(value)]


def _refusals(spec: Spec, typed: dict[str, Any], errors: dict[str, list[str]]) -> str:
    """Why the form refused a step: each field, its answer and its message."""
    strangers = [name for name in typed if name not in spec.fields_by_id]
    said = []
    for field_id, messages in errors.items():
        says = f"(the form says: {' '.join(messages)})"
        if field_id in typed:
            answer = _shown(typed[field_id])
            said.append(f"the answer {answer} for field '{field_id}' is refused {says}")
            continue
        said.append(f"no answer for field '{field_id}' {says}")
        close = difflib.get_close_matches(field_id, strangers, n=1, cutoff=0.6)
        if close:
            said[-1] += f"; the answers name '{close[0]}': did you mean '{field_id}'?"
    return "; ".join(said)


def differences(outcome: Outcome, expect: dict[str, Any]) -> list[str]:
    """How ``outcome`` differs from ``expect``, first difference first.

    Keys a scenario cannot expect come first: the scenario itself is wrong.
    """
    found = [
        f"'{key}' is not something a scenario can expect (it can expect "
        f"{', '.join(EXPECTABLE[:-1])} or {EXPECTABLE[-1]})"
        f"{did_you_mean(key, EXPECTABLE)}"
        for key in expect
        if key not in EXPECTABLE
    ]
    if outcome.tag is None:
        where = f"step '{outcome.stopped_at}'" if outcome.stopped_at else "a step"
        why = outcome.why or "the form is not complete there"
        return [*found, f"stopped at {where}: {why}"]

    actual = _actual(outcome.path, outcome.tag)
    for key, expected in expect.items():
        if key == "reasons" and isinstance(expected, list):
            expected = sorted(expected, key=str)
        if key in actual and actual[key] != expected:
            found.append(
                f"expected {key} {_shown(expected)}, got {_shown(actual[key])}"
            )
    return found


def _actual(path: list[str], tag: dict[str, Any]) -> dict[str, Any]:
    return {
        "path": path,
        "segment": tag["segment"],
        "tier": tag["tier"],
        "score": tag["score"],
        "route": tag["route"]["track"] if tag["route"] else None,
        "reasons": sorted(r["rule"] for r in tag["reasons"]),
    }


def _shown(value: Any) -> str:
    """``value`` as a scenario writes it, with whole numbers shown whole."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def run_scenarios(spec: Spec, path: Path) -> list[Problem]:
    """Play every scenario in ``path`` and report each that fails."""
    try:
        scenarios = load_scenarios(path)
    except SpecError as error:
        return error.problems

    problems = []
    for index, scenario in enumerate(scenarios):
        name = scenario.get("name", f"scenario {index + 1}")
        expect = scenario.get("expect", {})
        found = differences(play(spec, scenario), expect)
        pointer = f"/scenarios/{index}"
        if found:
            problems.append(Problem(str(path), pointer, _failure(name, found)))
        elif not any(key in EXPECTABLE for key in expect):
            problems.append(Problem(str(path), pointer, _idle(name), "warning"))
    return problems


def _failure(name: str, found: list[str]) -> str:
    message = f"scenario '{name}' failed: {found[0]}"
    if len(found) > 1:
        more = len(found) - 1
        message += f" (and {more} more difference{'s' if more > 1 else ''})"
    return message


def _idle(name: str) -> str:
    """Why a scenario that expects nothing is worth a warning."""
    return (
        f"scenario '{name}' expects nothing, so it passes whatever the form "
        'does; add an "expect" with any of '
        f"{', '.join(EXPECTABLE[:-1])} or {EXPECTABLE[-1]}"
    )
