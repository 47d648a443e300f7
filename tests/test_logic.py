import json
from pathlib import Path

import pytest

from formserver import logic

SHARED_SUITE = Path(__file__).parents[2] / "shared/conformance/jsonlogic-tests.json"
LOCAL_CASES = Path(__file__).parent / "data/jsonlogic-cases.json"


def load_cases():
    path = SHARED_SUITE if SHARED_SUITE.exists() else LOCAL_CASES
    return [c for c in json.loads(path.read_text()) if not isinstance(c, str)]


def same(got, expected):
    if isinstance(expected, bool) or isinstance(got, bool):
        return got is expected
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return got == expected
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(same(g, e) for g, e in zip(got, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and got.keys() == expected.keys()
            and all(same(got[k], expected[k]) for k in expected)
        )
    return got == expected


def test_classic_conformance_suite_passes():
    cases = load_cases()
    failures = []
    for rule, data, expected in cases:
        try:
            got = logic.evaluate(rule, data)
        except logic.LogicError as error:
            got = f"error: {error}"
        if not same(got, expected):
            failures.append((rule, data, expected, got))

    assert len(cases) >= 40
    assert failures == []


def test_local_cases_pass_too():
    for rule, data, expected in [
        c for c in json.loads(LOCAL_CASES.read_text()) if not isinstance(c, str)
    ]:
        assert same(logic.evaluate(rule, data), expected), (rule, data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [([], False), ([0], True), ("", False), ("0", True), (0, False), (None, False)],
)
def test_truthiness_follows_the_classic_rules(value, expected):
    assert logic.truthy(value) is expected


def test_holds_treats_a_missing_rule_as_always_true():
    assert logic.holds(None, {}) is True
    assert logic.holds({"==": [{"var": "a"}, 1]}, {"a": 2}) is False


def test_invalid_rule_raises_logic_error_with_the_rule():
    with pytest.raises(logic.LogicError, match="frobnicate"):
        logic.evaluate({"frobnicate": [1]}, {})


@pytest.mark.parametrize(
    ("rule", "names"),
    [
        ({"var": "a.b"}, {"a"}),
        ({"and": [{"var": "a"}, {"missing": ["b", "c"]}]}, {"a", "b", "c"}),
        ({"missing_some": [1, ["x", "y"]]}, {"x", "y"}),
        ({"some": [{"var": "items"}, {"==": [{"var": "kind"}, 1]}]}, {"items"}),
        (
            {"reduce": [{"var": "xs"}, {"+": [{"var": "current"}, 1]}, {"var": "s"}]},
            {"xs", "s"},
        ),
        ({"var": ""}, set()),
        ({"if": [{"var": "a"}, {"var": "b"}, {"var": "c"}]}, {"a", "b", "c"}),
    ],
)
def test_variables_in_names_the_fields_a_rule_reads(rule, names):
    assert logic.variables_in(rule) == names


def test_operators_in_reports_json_pointers():
    rule = {"and": [{"==": [{"var": "a"}, 1]}, {"log": "x"}]}
    assert list(logic.operators_in(rule)) == [
        ("", "and"),
        ("/and/0", "=="),
        ("/and/0/==/0", "var"),
        ("/and/1", "log"),
    ]
