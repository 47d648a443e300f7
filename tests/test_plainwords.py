import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formserver.catalog import load_spec
from formserver.logic import OPERATORS
from formserver.plainwords import describe, describe_goto
from formserver.spec import Goto
from formserver.specfile import compile_spec

from .conftest import EXAMPLE_SPECS

SPEC = compile_spec(
    {
        "title": "Plain words",
        "steps": [
            {
                "id": "start",
                "title": "About you",
                "fields": [
                    {
                        "id": "role",
                        "type": "radio",
                        "label": "Which best describes you?",
                        "options": [
                            {"value": "investor", "label": "Investor"},
                            {"value": "developer", "label": "Developer"},
                        ],
                    },
                    {"id": "ticket", "type": "money", "label": "Ticket size"},
                    {
                        "id": "assets",
                        "type": "checkboxes",
                        "label": "Asset classes",
                        "options": [
                            {"value": "office", "label": "Office"},
                            {"value": "logistics", "label": "Logistics"},
                            {"value": "retail", "label": "Retail"},
                        ],
                    },
                    {"id": "postcode", "type": "text", "label": "Postcode"},
                    {"id": "email", "type": "email", "label": "Work email"},
                ],
            },
            {"id": "contact", "title": "How can we reach you?", "end": True},
        ],
        "segments": [
            {"id": "investor", "label": "Investor", "when": {"==": [1, 1]}},
            {"id": "occupier", "label": "Owner-occupier"},
        ],
    }
)

ROLE = {"var": "role"}
TICKET = {"var": "ticket"}
ASSETS = {"var": "assets"}
POSTCODE = {"var": "postcode"}
ITEM = {"var": ""}

# (rule, what it reads as); every operator a spec may use heads at least one row.
TABLE = [
    ({"var": "role"}, "Which best describes you? is answered"),
    ({"var": "unknown_name"}, "unknown_name is answered"),
    ({"var": ["ticket", 0]}, "Ticket size (or 0 when not answered)"),
    ({"var": "segment"}, "the segment is answered"),
    ({"missing": ["email"]}, "Work email is not answered"),
    (
        {"missing": ["email", "postcode"]},
        "any of Work email or Postcode is not answered",
    ),
    (
        {"missing_some": [2, ["email", "postcode", "role"]]},
        "fewer than 2 of Work email, Postcode and Which best describes you? "
        "are answered",
    ),
    (
        {"missing_some": [1, ["email", "postcode"]]},
        "none of Work email or Postcode is answered",
    ),
    (
        {"if": [{"var": "email"}, "known", "unknown"]},
        "if Work email is answered then “known”, otherwise “unknown”",
    ),
    (
        {"if": [{"==": [ROLE, "investor"]}, 10, {"==": [ROLE, "developer"]}, 5, 0]},
        "if Which best describes you? is Investor then 10, if Which best describes "
        "you? is Developer then 5, otherwise 0",
    ),
    (
        {"?:": [{">": [TICKET, 5]}, 1, 0]},
        "if Ticket size is more than 5 then 1, otherwise 0",
    ),
    (
        {"==": [ROLE, "investor"]},
        "Which best describes you? is Investor",
    ),
    ({"==": [{"var": "segment"}, "occupier"]}, "the segment is Owner-occupier"),
    ({"==": [POSTCODE, None]}, "Postcode is empty"),
    ({"===": ["developer", ROLE]}, "Which best describes you? is Developer"),
    ({"!=": [POSTCODE, "BS1"]}, "Postcode is not “BS1”"),
    ({"!==": [{"var": "segment"}, "investor"]}, "the segment is not Investor"),
    ({"!": [{"var": "email"}]}, "Work email is not answered"),
    (
        {"!": {"in": [ROLE, ["investor", "developer"]]}},
        "Which best describes you? is not one of Investor or Developer",
    ),
    (
        {"!": {"missing": ["email", "postcode"]}},
        "Work email and Postcode are all answered",
    ),
    (
        {"!": {"and": [{"var": "email"}, {"var": "postcode"}]}},
        "not (Work email is answered and Postcode is answered)",
    ),
    ({"!!": {"var": "email"}}, "Work email is answered"),
    ({"!!": [{">": [TICKET, 1]}]}, "Ticket size is more than 1"),
    (
        {
            "or": [
                {"==": [ROLE, "investor"]},
                {"and": [{"var": "email"}, {">": [TICKET, 0]}]},
            ]
        },
        "Which best describes you? is Investor or (Work email is answered and "
        "Ticket size is more than 0)",
    ),
    (
        {"and": [{"==": [ROLE, "investor"]}, {">=": [TICKET, 1000000]}]},
        "Which best describes you? is Investor and Ticket size is at least 1,000,000",
    ),
    ({"and": []}, "never"),
    ({">": [TICKET, 1000000]}, "Ticket size is more than 1,000,000"),
    ({">": [250000, TICKET]}, "Ticket size is less than 250,000"),
    ({">=": [TICKET, 2.5]}, "Ticket size is at least 2.5"),
    ({"<": [TICKET, 250000]}, "Ticket size is less than 250,000"),
    ({"<": [0, TICKET, 250000]}, "Ticket size is between 0 and 250,000 (exclusive)"),
    (
        {"<=": [1000000, TICKET, 4999999]},
        "Ticket size is between 1,000,000 and 4,999,999",
    ),
    ({"<=": [TICKET, 10]}, "Ticket size is at most 10"),
    ({"max": [TICKET, 100000]}, "the largest of Ticket size and 100,000"),
    ({"min": [TICKET, 5, 7]}, "the smallest of Ticket size, 5 and 7"),
    ({"+": [TICKET, 1000]}, "Ticket size + 1,000"),
    ({"-": [TICKET, 1000]}, "Ticket size − 1,000"),
    ({"-": [TICKET]}, "−Ticket size"),
    ({"*": [TICKET, 2]}, "Ticket size × 2"),
    ({"/": [{"+": [TICKET, 1]}, 2]}, "(Ticket size + 1) ÷ 2"),
    ({"%": [TICKET, 2]}, "the remainder of Ticket size ÷ 2"),
    ({"in": ["office", ASSETS]}, "Asset classes includes Office"),
    (
        {"in": [ROLE, ["investor", "developer"]]},
        "Which best describes you? is one of Investor or Developer",
    ),
    ({"in": [ROLE, ["investor"]]}, "Which best describes you? is Investor"),
    ({"in": ["@", {"var": "email"}]}, "Work email contains “@”"),
    ({"in": [POSTCODE, "BS BA GL"]}, "Postcode is part of “BS BA GL”"),
    (
        {"cat": [ROLE, "-", POSTCODE]},
        "Which best describes you? followed by “-” followed by Postcode",
    ),
    ({"substr": [POSTCODE, 0, 2]}, "the first 2 characters of Postcode"),
    ({"substr": [POSTCODE, -3]}, "the last 3 characters of Postcode"),
    ({"substr": [POSTCODE, 1, 3]}, "3 characters of Postcode from character 2"),
    ({"substr": [POSTCODE, 0, -1]}, "Postcode without its last 1 character"),
    ({"substr": [POSTCODE, 2]}, "Postcode from character 3 on"),
    ({"merge": [ASSETS, ["other"]]}, "the combined list of Asset classes and “other”"),
    (
        {"map": [ASSETS, {"cat": [ITEM, "!"]}]},
        "the item followed by “!” for each item of Asset classes",
    ),
    (
        {"filter": [ASSETS, {"!=": [ITEM, "office"]}]},
        "the items of Asset classes where the item is not Office",
    ),
    (
        {"reduce": [ASSETS, {"+": [{"var": "accumulator"}, 1]}, 0]},
        "the number of items in Asset classes",
    ),
    (
        {
            "reduce": [
                {"var": "amounts"},
                {"+": [{"var": "current"}, {"var": "accumulator"}]},
                0,
            ]
        },
        "the sum of amounts",
    ),
    (
        {"reduce": [ASSETS, {"*": [{"var": "accumulator"}, {"var": "current.x"}]}, 1]},
        "Asset classes combined, starting from 1, by the running total × x of the item",
    ),
    (
        {"all": [ASSETS, {"in": [ITEM, ["office", "retail"]]}]},
        "each of Asset classes is one of Office or Retail",
    ),
    (
        {"none": [ASSETS, {"==": [ITEM, "office"]}]},
        "Asset classes does not include Office",
    ),
    (
        {"none": [ASSETS, {"in": [ITEM, ["office", "retail"]]}]},
        "Asset classes includes none of Office or Retail",
    ),
    (
        {"some": [ASSETS, {"in": [ITEM, ["office", "logistics"]]}]},
        "Asset classes includes any of Office or Logistics",
    ),
    ({"some": [{"var": "amounts"}, {">": [ITEM, 5]}]}, "any of amounts is more than 5"),
    (
        {"some": [{"var": "amounts"}, {"and": [{">": [ITEM, 1]}, {"<": [ITEM, 5]}]}]},
        "for some item of amounts: the item is more than 1 and the item is less than 5",
    ),
]


def test_the_table_covers_every_operator_a_spec_may_use():
    assert {next(iter(rule)) for rule, _ in TABLE} == OPERATORS


@pytest.mark.parametrize(("rule", "expected"), TABLE, ids=lambda v: json.dumps(v)[:60])
def test_a_rule_reads_as_plain_words(rule, expected):
    assert describe(rule, SPEC) == expected


def test_without_a_spec_fields_are_named_by_their_ids():
    rule = {">=": [{"var": "ticket_size"}, 1000000]}

    assert describe(rule) == "ticket_size is at least 1,000,000"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [(None, "always"), (True, "always"), (False, "never"), (5, "5"), ("x", "“x”")],
)
def test_literal_rules_read_as_what_they_are(rule, expected):
    assert describe(rule, SPEC) == expected


def test_unknown_shapes_fall_back_to_compact_json():
    assert describe({"log": "x"}, SPEC) == '{"log":"x"}'
    assert describe({"==": [1, 2], "!=": [3, 4]}, SPEC) == '{"==":[1,2],"!=":[3,4]}'
    assert describe({"==": [ROLE]}, SPEC) == '{"==":[{"var":"role"}]}'


def test_a_branch_reads_with_its_target_step_title():
    branch = Goto(step="contact", pointer="", when={"==": [ROLE, "investor"]})

    assert describe_goto(branch, SPEC) == (
        "if Which best describes you? is Investor, go to “How can we reach you?”"
    )
    assert describe_goto(Goto(step="contact", pointer=""), SPEC) == (
        "go to “How can we reach you?”"
    )
    assert "not a step of this form" in describe_goto(Goto("nowhere", ""), SPEC)


# The example specs.


def example_conditions():
    for path in sorted(EXAMPLE_SPECS.glob("*/*.json")):
        if path.name == "client.json" or path.name.endswith(".tests.json"):
            continue
        spec = load_spec(path)
        rules = [g.when for s in spec.steps for g in s.next if g.when is not None]
        rules += [f.visible_if for f in spec.fields_by_id.values() if f.visible_if]
        for segment in spec.segments:
            rules += [segment.when] if segment.when is not None else []
            rules += [r.when for r in segment.scoring + segment.knockouts]
        rules += [r.when for r in spec.scoring + spec.knockouts]
        for rule in rules:
            yield pytest.param(spec, rule, id=f"{spec.form}:{json.dumps(rule)[:50]}")


@pytest.mark.parametrize(("spec", "rule"), list(example_conditions()))
def test_every_example_condition_reads_without_json(spec, rule):
    text = describe(rule, spec)

    assert text and "{" not in text and '"var"' not in text


@pytest.mark.parametrize(
    ("form", "pointer", "expected"),
    [
        (
            "acme-realty/property-enquiry",
            ("segments", 0, "scoring", 1),
            "Typical ticket size (GBP) is between 1,000,000 and 4,999,999",
        ),
        (
            "acme-realty/property-enquiry",
            ("segments", 0, "scoring", 2),
            "Asset classes you invest in includes any of Office or Industrial and "
            "logistics",
        ),
        (
            "brightside-home/quote-request",
            ("qualification", "knockouts", 0),
            "the first 2 characters of Postcode of the property is not one of “BS”, "
            "“Bs”, “bS”, “bs”, “BA”, “Ba”, “bA”, “ba”, “GL”, “Gl”, “gL” or “gl”",
        ),
        (
            "brightside-home/quote-request",
            ("segments", 3, "scoring", 1),
            "the number of items in What would you like the plan to cover? is at "
            "least 3",
        ),
        (
            "northwind-software/demo-request",
            ("steps", 0, "next", 0),
            "Which best describes your role? is Student or Why are you looking at "
            "Northwind? is I work for a company that builds or sells analytics "
            "software",
        ),
    ],
)
def test_example_rules_read_as_written_for_marketers(form, pointer, expected):
    spec = load_spec(EXAMPLE_SPECS / f"{form}.json")
    node = spec.document
    for key in pointer:
        node = node[key]

    assert describe(node["when"], spec) == expected


# Hostile input.


def nested(operator, depth, leaf):
    rule = leaf
    for _ in range(depth):
        rule = {operator: [rule]}
    return rule


@pytest.mark.parametrize(
    "rule",
    [
        nested("!", 50_000, {"var": "email"}),
        nested("and", 50_000, True),
        nested("var", 50_000, "email"),
        nested("some", 5_000, []),
        {"==": [nested("+", 50_000, 1), 2]},
        {"in": [1, nested("merge", 50_000, [])]},
    ],
    ids=["not", "and", "var", "some", "plus", "merge"],
)
def test_deep_nesting_is_cut_short_instead_of_raising(rule):
    text = describe(rule, SPEC)

    assert isinstance(text, str) and len(text) < 2000


def test_deeply_nested_plain_lists_are_cut_short():
    rule = []
    for _ in range(50_000):
        rule = [rule]

    assert isinstance(describe({"in": [1, rule]}, SPEC), str)


def test_wide_rules_are_summarised():
    rule = {"and": [{"==": [ROLE, "investor"]}] * 10_000}

    text = describe(rule, SPEC)

    assert text.endswith("and 9,988 more conditions")
    assert len(text) < 2000


@pytest.mark.parametrize(
    "rule",
    [
        math.nan,
        math.inf,
        10**400,
        "",
        "x" * 10_000,
        {},
        [],
        {"==": 5},
        {"==": []},
        {"in": [1, 2]},
        {"substr": ["abc", "x"]},
        {"substr": [POSTCODE, 10**30]},
        {"var": None},
        {"var": [None]},
        {"var": []},
        {"var": {"cat": ["ro", "le"]}},
        {"var": 3},
        {"missing": []},
        {"missing": [[]]},
        {"missing_some": [1, "x"]},
        {"reduce": [1]},
        {"reduce": [ASSETS, {"+": {"var": "accumulator"}}, 0]},
        {"<": [1, 2, 3, 4]},
        {"if": []},
        {"cat": []},
        {"max": []},
        {"-": []},
        {"!": []},
        {1: 2},
        {"==": [{"var": "role"}, {"a": 1, "b": 2}]},
        {"in": [ROLE, [None, True, 1.5, {"x": 1}, ["y"]]]},
        {"\ud800": "\x00"},
        b"bytes",
        {1, 2},
        object(),
    ],
    ids=repr,
)
def test_odd_input_never_raises(rule):
    assert isinstance(describe(rule, SPEC), str)
    assert isinstance(describe(rule), str)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["", "role", "assets", "ticket", "segment", "current"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(sorted(OPERATORS)), children, max_size=1)
        | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_gets_a_description(rule):
    assert isinstance(describe(rule, SPEC), str)
