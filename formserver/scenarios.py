"""Form tests: scenarios beside a spec that say where given answers must lead.

``<form>.tests.json`` holds ``{"scenarios": [...]}``; each scenario has a
``name``, the ``answers`` a prospect types (by field id, as text or a list of
texts), optionally a known ``profile`` (by profile key) and values ``captured``
from the landing URL, and what to ``expect``: any of ``path``, ``segment``,
``tier``, ``score``, ``route`` (the track) and ``reasons`` (rule ids that fire).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalog import TESTS_SUFFIX
from .engine import Flow
from .problems import Problem, SpecError
from .profiling import Known
from .spec import Spec, parse_json


@dataclass(frozen=True)
class Outcome:
    """Where a scenario's answers led."""

    path: list[str]
    tag: dict[str, Any] | None
    stopped_at: str | None = None
    errors: dict[str, list[str]] | None = None


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
    if not isinstance(scenarios, list) or not all(
        isinstance(s, dict) and isinstance(s.get("answers", {}), dict)
        for s in scenarios
    ):
        message = 'expected {"scenarios": [{"name": …, "answers": {…}, "expect": {…}}]}'
        raise SpecError([Problem(source, "", message)])
    return scenarios


def play(spec: Spec, scenario: dict[str, Any]) -> Outcome:
    """Walk ``spec`` answering every step from the scenario, like a prospect."""
    typed = scenario.get("answers", {})
    profile = {k: Known(v) for k, v in scenario.get("profile", {}).items()}
    captured = scenario.get("captured", {})
    answers: dict[str, dict[str, Any]] = {}

    for _ in range(len(spec.steps) + 1):
        flow = Flow(spec, answers, profile, captured)
        if flow.complete or flow.looped:
            break
        step = flow.current
        assert step is not None
        formdata = {
            f.id: _as_list(typed[f.id])
            for f in flow.fields_to_ask(step)
            if f.id in typed
        }
        result = flow.submit(step.id, formdata)
        if not result.ok:
            return Outcome(flow.path, None, stopped_at=step.id, errors=result.errors)
        answers[step.id] = result.values

    flow = Flow(spec, answers, profile, captured)
    if not flow.complete:
        stopped = flow.current.id if flow.current else None
        return Outcome(flow.path, None, stopped_at=stopped)
    return Outcome(flow.path, flow.tag().as_dict())


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return ["y"] if value else []
    return [str(value)]


def differences(outcome: Outcome, expect: dict[str, Any]) -> list[str]:
    """How ``outcome`` differs from ``expect``, first difference first."""
    if outcome.tag is None:
        where = outcome.stopped_at or "?"
        detail = "; ".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in (outcome.errors or {}).items()
        )
        reason = f" ({detail})" if detail else " (no answer for a question there)"
        return [f"stopped at step '{where}'{reason}"]

    tag = outcome.tag
    actual = {
        "path": outcome.path,
        "segment": tag["segment"],
        "tier": tag["tier"],
        "score": tag["score"],
        "route": tag["route"]["track"] if tag["route"] else None,
        "reasons": sorted(r["rule"] for r in tag["reasons"]),
    }
    found = []
    for key, expected in expect.items():
        if key == "reasons":
            expected = sorted(expected)
        if key not in actual:
            found.append(f"'{key}' is not something a scenario can expect")
        elif actual[key] != expected:
            found.append(f"expected {key} {expected!r}, got {actual[key]!r}")
    return found


def run_scenarios(spec: Spec, path: Path) -> list[Problem]:
    """Play every scenario in ``path`` and report each that fails."""
    try:
        scenarios = load_scenarios(path)
    except SpecError as error:
        return error.problems

    problems = []
    for index, scenario in enumerate(scenarios):
        name = scenario.get("name", f"scenario {index + 1}")
        found = differences(play(spec, scenario), scenario.get("expect", {}))
        if found:
            message = f"scenario '{name}' failed: {found[0]}"
            if len(found) > 1:
                message += f" (and {len(found) - 1} more differences)"
            problems.append(Problem(str(path), f"/scenarios/{index}", message))
    return problems
