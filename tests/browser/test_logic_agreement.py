"""The server's and the browser's JsonLogic agree on thousands of random rules."""

import json
import random

import pytest

from formserver import logic

from .test_logic_js import RUN_CASES_JS, same

VALUES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2.5,
    -7,
    1e21,
    0.1,
    "",
    "0",
    "1",
    "a",
    "abc",
    "2.5",
    " 3 ",
    "Infinity",
    [],
    [0],
    [1, 2],
    ["a"],
    {"k": 1},
]
NAMES = ["a", "b", "c", "n", "list", "missing", "a.k", "list.0", "list.length"]
BINARY = [
    "==",
    "===",
    "!=",
    "!==",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "in",
    "cat",
    "max",
    "min",
    "merge",
    "substr",
]
UNARY = ["!", "!!", "-", "+"]
SCOPED = ["map", "filter", "all", "some", "none", "reduce"]


def random_rule(rng, depth=0):
    roll = rng.random()
    if depth > 3 or roll < 0.25:
        return rng.choice(VALUES)
    if roll < 0.45:
        return {"var": rng.choice(NAMES)}
    if roll < 0.75:
        op = rng.choice(BINARY)
        args = [random_rule(rng, depth + 1) for _ in range(rng.choice([2, 2, 3]))]
        return {op: args}
    if roll < 0.82:
        return {rng.choice(UNARY): [random_rule(rng, depth + 1)]}
    if roll < 0.9:
        op = rng.choice(["if", "and", "or", "?:"])
        return {op: [random_rule(rng, depth + 1) for _ in range(rng.randint(1, 4))]}
    if roll < 0.95:
        return {
            rng.choice(["missing", "missing_some"]): rng.choice(
                [["a", "b"], [1, ["a", "n", "missing"]], "c"]
            )
        }
    op = rng.choice(SCOPED)
    inner = {rng.choice(["+", "==", ">", "cat"]): [{"var": ""}, random_rule(rng, 3)]}
    if op == "reduce":
        inner = {"+": [{"var": "current"}, {"var": "accumulator"}]}
        return {op: [{"var": "list"}, inner, random_rule(rng, 3)]}
    return {op: [rng.choice([{"var": "list"}, [1, 2, 3], ["a", ""]]), inner]}


def random_data(rng):
    return {
        "a": rng.choice(VALUES),
        "b": rng.choice(VALUES),
        "c": rng.choice(VALUES),
        "n": rng.choice([0, 3, -2.5, "4", None]),
        "list": rng.choice([[1, 2, 3], ["a", "b"], [], [0, "", None]]),
    }


def python_result(rule, data):
    try:
        return True, logic.evaluate(rule, data)
    except logic.LogicError as error:
        return False, str(error)


@pytest.mark.parametrize("seed", [20261203, 7, 1234567])
def test_python_and_browser_agree_on_random_rules(logic_page, seed):
    rng = random.Random(seed)
    cases = [(random_rule(rng), random_data(rng)) for _ in range(5000)]
    browser = logic_page.evaluate(RUN_CASES_JS, [[r, d] for r, d in cases])

    disagreements = []
    for (rule, data), (js_ok, js_value) in zip(cases, browser, strict=True):
        py_ok, py_value = python_result(rule, data)
        agree = py_ok == js_ok and (not py_ok or same(py_value, js_value))
        if not agree:
            disagreements.append(
                f"{json.dumps(rule)} with {json.dumps(data)}: "
                f"python {py_value!r}, browser {js_value!r}"
            )

    assert disagreements == [], "\n".join(disagreements[:20])
