"""How long the flow engine takes to compile a spec and to serve one step.

Run from the checkout::

    .venv/bin/python benchmarks/engine.py [--repeat 200] [--budget 2] [--json]

For every example spec (walked with the longest of its scenarios) and for a
generated spec of 500 fields on 100 steps it times compile_spec against
json.loads, and building a Flow and submitting one step against one
logic.evaluate; benchmarks/README.md says exactly what each figure covers.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formserver import specfile
from formserver.catalog import CLIENT_FILE, spec_paths
from formserver.engine import Flow
from formserver.logic import evaluate
from formserver.problems import SpecError
from formserver.profiling import Known
from formserver.scenarios import load_scenarios, tests_path
from formserver.spec import Spec
from formserver.specfile import compile_spec

ROOT = Path(__file__).resolve().parent.parent
SIMPLE_RULE = {"==": [{"var": "role"}, "investor"]}
MIN_RUNS = 5
SCOUT_RUNS = 7


class WalkError(Exception):
    """A scenario's answers do not take the walk to the end of the form."""


@dataclass
class Timing:
    """Seconds per run of one operation."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]

    def as_dict(self) -> dict[str, Any]:
        return {"runs": len(self.samples), "median_s": self.median, "p95_s": self.p95}


@dataclass
class Point:
    """One step of a walk: the answers stored before it, and what it posts."""

    spec: Spec
    answers: dict[str, dict[str, Any]]
    profile: dict[str, Known]
    captured: dict[str, str]
    step_id: str
    formdata: dict[str, list[str]]
    depth: int

    def build(self) -> Flow:
        return Flow(self.spec, self.answers, self.profile, self.captured)

    def step(self) -> object:
        return self.build().submit(self.step_id, self.formdata)


@dataclass
class Case:
    """A spec as text, as a document and compiled, and a walk through it."""

    text: str
    document: Any
    spec: Spec
    walk: list[Point]


def measure(
    operations: dict[str, Callable[[], object]], repeat: int, budget: float
) -> dict[str, Timing]:
    """Time each operation ``repeat`` times, taking turns so that all of them
    see the same load; stop early when ``budget`` seconds each are used up."""
    for operation in operations.values():
        operation()
    samples: dict[str, list[float]] = {name: [] for name in operations}
    gc.disable()
    try:
        deadline = time.perf_counter() + budget * len(operations)
        for rounds in range(1, repeat + 1):
            for name, operation in operations.items():
                start = time.perf_counter()
                operation()
                samples[name].append(time.perf_counter() - start)
            if rounds >= MIN_RUNS and time.perf_counter() > deadline:
                break
    finally:
        gc.enable()
    return {name: Timing(times) for name, times in samples.items()}


def walk(spec: Spec, scenario: dict[str, Any]) -> list[Point]:
    """Answer ``spec`` from ``scenario`` like a prospect, one point per step."""
    typed = scenario.get("answers", {})
    profile = {k: Known(v) for k, v in scenario.get("profile", {}).items()}
    captured = scenario.get("captured", {})
    answers: dict[str, dict[str, Any]] = {}
    points: list[Point] = []
    flow = Flow(spec, answers, profile, captured)
    while flow.current is not None and len(points) <= len(spec.steps):
        step = flow.current
        shown = flow.fields_to_ask(step)
        formdata = {f.id: _posted(typed[f.id]) for f in shown if f.id in typed}
        depth = len(flow.path) + 1
        points.append(
            Point(spec, dict(answers), profile, captured, step.id, formdata, depth)
        )
        result = flow.submit(step.id, formdata)
        if not result.ok:
            raise WalkError(f"{spec.key}: step {step.id!r} refused {result.errors}")
        answers[step.id] = result.values
        flow = Flow(spec, answers, profile, captured)
    if not points:
        raise WalkError(f"{spec.key}: the walk asks nothing, so no step to time")
    return points


def _posted(value: Any) -> list[str]:
    """A scenario's answer as a browser posts it."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return ["y"] if value else []
    return [str(value)]


def example_cases(folder: Path) -> list[Case]:
    """Every example spec, with the longest walk among its scenarios."""
    cases = []
    for client in sorted(p for p in folder.iterdir() if (p / CLIENT_FILE).exists()):
        for path in spec_paths(client):
            text = path.read_text(encoding="utf-8")
            document = json.loads(text)
            spec = compile_spec(document, client=client.name, form=path.stem)
            walks = [walk(spec, s) for s in load_scenarios(tests_path(path))]
            deepest = max(walks, key=lambda w: w[-1].depth if w else 0)
            cases.append(Case(text, document, spec, deepest))
    return cases


def generated_document(steps: int, per_step: int) -> dict[str, Any]:
    """A spec of ``steps`` steps of ``per_step`` fields that uses branches,
    conditions, segments, scoring, knockouts and profiling."""
    tiers = [
        {"tier": "hot", "from": 100},
        {"tier": "warm", "from": 40, "to": 100},
        {"tier": "cold", "to": 40},
    ]
    knockout = {"when": {"==": [{"var": "s3_f2"}, "spam"]}, "reason": "Spam"}
    return {
        "title": "Generated benchmark form",
        "lead_fields": ["s0_f2"],
        "profiling": {"max_new_questions": 10, "priority": "order"},
        "steps": [_generated_step(i, steps, per_step) for i in range(steps)],
        "segments": [_generated_segment(v, steps) for v in "abc"],
        "qualification": {
            "scoring": [_points_rule(i, i % 7 + 1) for i in range(0, steps, 2)],
            "knockouts": [knockout],
            "tiers": tiers,
            "routes": {t["tier"]: {"track": f"{t['tier']}-track"} for t in tiers},
        },
    }


def _generated_step(i: int, steps: int, per_step: int) -> dict[str, Any]:
    options = [{"value": v, "label": v.upper()} for v in "abc"]
    kinds: list[dict[str, Any]] = [
        {"type": "radio", "options": options, "required": True},
        {"type": "number", "validation": {"min": 0, "max": 1000}, "ask_once": True},
        {"type": "text", "validation": {"max_length": 80}},
        {"type": "checkboxes", "options": options},
        {"type": "text", "required": True},
    ]
    fields = [
        {"id": f"s{i}_f{j}", "priority": j, **kinds[j % len(kinds)]}
        for j in range(per_step)
    ]
    if i > 0:
        fields[3]["visible_if"] = {"==": [{"var": f"s{i - 1}_f0"}, "b"]}
    fields[4]["visible_if"] = {"==": [{"var": f"s{i}_f0"}, "c"]}
    step: dict[str, Any] = {"id": f"s{i}", "fields": fields, "end": i == steps - 1}
    if i + 2 < steps:
        skip = {">": [{"var": f"s{i}_f1"}, 900]}
        step["next"] = [{"when": skip, "goto": f"s{i + 2}"}]
    return step


def _generated_segment(value: str, steps: int) -> dict[str, Any]:
    return {
        "id": f"seg-{value}",
        "when": {"==": [{"var": "s0_f0"}, value]},
        "scoring": [_points_rule(i, 5) for i in range(1, steps, 10)],
        "tiers": [{"tier": "hot", "from": 60}, {"tier": "cold", "to": 60}],
    }


def _points_rule(step: int, points: int) -> dict[str, Any]:
    return {
        "when": {">=": [{"var": f"s{step}_f1"}, 500]},
        "points": points,
        "reason": f"Answered 500 or more on step {step}",
    }


def generated_case(steps: int = 100, per_step: int = 5) -> Case:
    """The generated spec, walked through every one of its steps."""
    document = generated_document(steps, per_step)
    spec = compile_spec(document, client="generated", form=f"{steps}-steps")
    typed: dict[str, Any] = {}
    for i in range(steps):
        choice = "abc"[i % 3]
        typed |= {f"s{i}_f0": choice, f"s{i}_f1": str(i * 7 % 900)}
        typed |= {f"s{i}_f2": f"answer {i}", f"s{i}_f3": [choice]}
        typed[f"s{i}_f4"] = "because"
    return Case(json.dumps(document), document, spec, walk(spec, {"answers": typed}))


def run_case(case: Case, repeat: int, budget: float) -> dict[str, Any]:
    """Every figure of one spec."""
    spec, deepest = case.spec, case.walk[-1]
    data = {"role": "investor"}

    def compile_once() -> Spec:
        specfile._compile_cached.cache_clear()
        return compile_spec(case.document, client=spec.client, form=spec.form)

    flow = deepest.build()
    scouts = measure({p.step_id: p.step for p in case.walk}, SCOUT_RUNS, budget)
    slowest = max(case.walk, key=lambda p: scouts[p.step_id].median)
    loading = {"compile": compile_once, "json_loads": lambda: json.loads(case.text)}
    stepping = {
        "build": deepest.build,
        "submit": lambda: flow.submit(deepest.step_id, deepest.formdata),
        "step": deepest.step,
        "slowest_step": slowest.step,
        "evaluate": lambda: evaluate(SIMPLE_RULE, data),
    }
    return {
        "spec": spec.key,
        "fields": len(spec.fields_by_id),
        "steps": len(spec.steps),
        "depth": deepest.depth,
        "slowest_step_id": slowest.step_id,
        **measure(loading, repeat, budget),
        **measure(stepping, repeat, budget),
    }


def report(results: list[dict[str, Any]]) -> str:
    """The results as two readable tables."""
    lines = [
        "Compile: compile_spec with its cache cleared, against json.loads",
        f"{'spec':<34}{'fields':>7}{'steps':>6}{'runs':>6}{'median':>10}"
        f"{'p95':>10}{'json.loads':>12}{'ratio':>7}",
    ]
    for r in results:
        compiled = r["compile"]
        lines.append(
            f"{r['spec']:<34}{r['fields']:>7}{r['steps']:>6}"
            f"{len(compiled.samples):>6}{_time(compiled.median):>10}"
            f"{_time(compiled.p95):>10}{_time(r['json_loads'].median):>12}"
            f"{compiled.median / r['json_loads'].median:>6.0f}x"
        )
    lines += [
        "",
        "Step: a Flow built from the stored answers (build), then one step "
        "submitted (submit)",
        f"{'spec':<34}{'depth':>6}{'build':>10}{'submit':>10}{'step':>10}"
        f"{'p95':>10}{'evaluate':>10}{'ratio':>8}   slowest step: median, p95",
    ]
    for r in results:
        step, slowest, baseline = r["step"], r["slowest_step"], r["evaluate"]
        lines.append(
            f"{r['spec']:<34}{r['depth']:>6}{_time(r['build'].median):>10}"
            f"{_time(r['submit'].median):>10}{_time(step.median):>10}"
            f"{_time(step.p95):>10}{_time(baseline.median):>10}"
            f"{step.median / baseline.median:>7,.0f}x"
            f"   {r['slowest_step_id']}: {_time(slowest.median)}, "
            f"{_time(slowest.p95)}"
        )
    lines += [
        "",
        f"evaluate is one logic.evaluate({json.dumps(SIMPLE_RULE)}), timed in "
        "turn with the steps; the ratio is step / evaluate.",
        "Times are medians unless marked p95.",
    ]
    return "\n".join(lines)


def as_json(results: list[dict[str, Any]]) -> str:
    """The results for machines: seconds per run, and the ratios."""
    specs = []
    for r in results:
        entry = {k: v.as_dict() if isinstance(v, Timing) else v for k, v in r.items()}
        entry["compile_vs_json_loads"] = r["compile"].median / r["json_loads"].median
        entry["step_vs_evaluate"] = r["step"].median / r["evaluate"].median
        specs.append(entry)
    python = sys.version.split()[0]
    document = {"python": python, "evaluate_rule": SIMPLE_RULE, "specs": specs}
    return json.dumps(document, indent=2)


def _time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked; exits with status 2 and a message if bad."""
    parser = argparse.ArgumentParser(
        description="Time spec compilation and one engine step for each spec."
    )
    parser.add_argument("--json", action="store_true", help="print JSON, not tables")
    parser.add_argument(
        "--repeat", type=int, default=200, help="runs per figure (default: 200)"
    )
    budget_help = "seconds per figure at most, even short of --repeat (default: 2)"
    parser.add_argument("--budget", type=float, default=2.0, help=budget_help)
    specs_help = "the folder of client folders to read (default: form_specs)"
    parser.add_argument(
        "--specs", type=Path, default=ROOT / "form_specs", help=specs_help
    )
    parser.add_argument(
        "--no-generated",
        action="store_true",
        help="leave out the generated spec of 500 fields on 100 steps",
    )
    arguments = parser.parse_args(argv)
    if arguments.repeat < MIN_RUNS:
        parser.error(f"--repeat must be at least {MIN_RUNS}, got {arguments.repeat}")
    if not arguments.budget > 0:
        parser.error(f"--budget must be more than 0 seconds, got {arguments.budget}")
    if not arguments.specs.is_dir():
        parser.error(
            f"--specs {arguments.specs} is not a folder; give the folder that "
            "holds one folder per client, like form_specs"
        )
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        cases = example_cases(arguments.specs)
    except (SpecError, WalkError) as error:
        # Each spec is walked with its scenarios, so both files must load.
        print(f"Cannot benchmark {arguments.specs}: {error}", file=sys.stderr)
        return 2
    if not arguments.no_generated:
        cases.append(generated_case())
    if not cases:
        print(f"No specs with a client.json under {arguments.specs}.", file=sys.stderr)
        return 1

    results = [run_case(case, arguments.repeat, arguments.budget) for case in cases]
    render = as_json if arguments.json else report
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
