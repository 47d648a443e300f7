"""Run the JsonLogic conformance suite against static/js/logic.js in Chromium."""

import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOGIC_JS = ROOT / "static" / "js" / "logic.js"
SHARED_SUITE = ROOT.parent / "shared" / "conformance" / "jsonlogic-tests.json"
LOCAL_SUITE = ROOT / "tests" / "data" / "jsonlogic-cases.json"

# Evaluates every [rule, data] pair in one round trip; each result is
# [true, value] or [false, error message].
RUN_CASES_JS = """
cases => cases.map(([rule, data]) => {
  try { return [true, window.FormserverLogic.apply(rule, data)]; }
  catch (e) { return [false, String(e && e.message)]; }
})
"""


def load_cases(path):
    items = json.loads(path.read_text(encoding="utf-8"))
    return [item for item in items if not isinstance(item, str)]


def same(a, b):
    """Deep JSON equality; numbers compare numerically, bools only with bools."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def run_cases(page, cases):
    results = page.evaluate(RUN_CASES_JS, [[rule, data] for rule, data, _ in cases])
    assert len(results) == len(cases)
    failures = []
    for (rule, data, expected), (ok, got) in zip(cases, results, strict=True):
        if not ok:
            failures.append(
                f"rule={json.dumps(rule)} data={json.dumps(data)} "
                f"expected={json.dumps(expected)} raised={got!r}"
            )
        elif not same(got, expected):
            failures.append(
                f"rule={json.dumps(rule)} data={json.dumps(data)} "
                f"expected={json.dumps(expected)} got={json.dumps(got)}"
            )
    assert not failures, (
        f"{len(failures)} of {len(cases)} JsonLogic cases failed:\n"
        + "\n".join(failures)
    )
    return len(cases)


def test_conformance_suite(logic_page):
    suite = SHARED_SUITE if SHARED_SUITE.exists() else LOCAL_SUITE
    cases = load_cases(suite)
    assert cases, f"no cases in {suite}"
    run_cases(logic_page, cases)


def test_local_cases(logic_page):
    run_cases(logic_page, load_cases(LOCAL_SUITE))


def test_unknown_operations_throw(logic_page):
    ops = ["log", "method", "no_such_op"]
    messages = logic_page.evaluate(
        """ops => ops.map(op => {
          try { window.FormserverLogic.apply({[op]: ["a", "toUpperCase", []]}, {}); }
          catch (e) { return e instanceof Error ? e.message : "not an Error"; }
          return "did not throw";
        })""",
        ops,
    )
    assert messages == [f"Unrecognized operation {op}" for op in ops]


def test_truthy(logic_page):
    values = [[], [0], "", "0", 0, 1, None, {}, False, True]
    got = logic_page.evaluate(
        "vs => vs.map(v => window.FormserverLogic.truthy(v))", values
    )
    assert got == [False, True, False, True, False, True, False, True, False, True]


VARS_CASES = [
    (True, []),
    ({"var": "email"}, ["email"]),
    ({"var": ["contact.phone", "n/a"]}, ["contact.phone"]),
    ({"var": 1}, ["1"]),
    ({"var": ""}, [""]),
    (
        {
            "and": [
                {"==": [{"var": "plan"}, "pro"]},
                {">": [{"var": "seats"}, 5]},
                {"==": [{"var": "plan"}, "pro"]},
            ]
        },
        ["plan", "seats"],
    ),
    (
        {"if": [{"var": "a"}, [{"var": "b.c"}], {"cat": [{"var": "d"}, "x"]}]},
        ["a", "b.c", "d"],
    ),
    ({"var": [{"if": [{"var": "useWork"}, "work", "home"]}]}, ["useWork"]),
    ({"var": ["nickname", {"var": "name"}]}, ["nickname", "name"]),
    # Per-item logic of scoped operations reads the item, not the form data.
    ({"map": [{"var": "rooms"}, {"var": "size"}]}, ["rooms"]),
    (
        {"some": [{"var": "items"}, {">": [{"var": "qty"}, {"var": "limit"}]}]},
        ["items"],
    ),
    (
        {
            "reduce": [
                {"var": "items"},
                {"+": [{"var": "accumulator"}, {"var": "current"}]},
                {"var": "start"},
            ]
        },
        ["items", "start"],
    ),
    # missing / missing_some read their literal keys; computed key lists only
    # contribute the vars used to compute them.
    ({"missing": ["name", "email"]}, ["name", "email"]),
    ({"missing_some": [1, ["phone", "email"]]}, ["phone", "email"]),
    (
        {"missing": {"merge": ["vin", {"if": [{"var": "financing"}, ["apr"], []]}]}},
        ["financing"],
    ),
    # Objects with more than one key are data, not rules.
    ({"var": "x", "other": {"var": "y"}}, []),
]


def test_vars(logic_page):
    got = logic_page.evaluate(
        "rules => rules.map(r => window.FormserverLogic.vars(r))",
        [rule for rule, _ in VARS_CASES],
    )
    failures = [
        f"rule={json.dumps(rule)} expected={names} got={names_got}"
        for (rule, names), names_got in zip(VARS_CASES, got, strict=True)
        if names_got != names
    ]
    assert not failures, "vars() mismatches:\n" + "\n".join(failures)
