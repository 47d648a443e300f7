import copy
import json
from pathlib import Path

import pytest

from formserver.catalog import CLIENT_FILE, spec_paths
from formserver.checker import check_paths, check_spec
from formserver.problems import Problem
from formserver.specfile import compile_spec

EXAMPLES = Path(__file__).parents[1] / "form_specs"
DELETE = object()


def choice(*values):
    return [{"value": v, "label": v.capitalize()} for v in values]


def kind_is(value):
    return {"==": [{"var": "kind"}, value]}


BASE = {
    "title": "Quote request",
    "steps": [
        {
            "id": "start",
            "fields": [
                {
                    "id": "kind",
                    "type": "radio",
                    "required": True,
                    "options": choice("business", "home"),
                }
            ],
            "next": [
                {"when": {"==": [{"var": "segment"}, "business"]}, "goto": "company"},
                {"goto": "household"},
            ],
        },
        {
            "id": "company",
            "fields": [
                {
                    "id": "employees",
                    "type": "number",
                    "required": True,
                    "validation": {"min": 1, "max": 100000},
                },
                {
                    "id": "industry",
                    "type": "select",
                    "required": True,
                    "options": choice("retail", "other"),
                },
                {
                    "id": "industry_other",
                    "type": "text",
                    "visible_if": {"==": [{"var": "industry"}, "other"]},
                    "validation": {"max_length": 80},
                },
            ],
            "next": "contact",
        },
        {
            "id": "household",
            "fields": [
                {
                    "id": "rooms",
                    "type": "select",
                    "required": True,
                    "options": choice("two", "three", "four", "five"),
                },
                {"id": "moving", "type": "date", "validation": {"min_date": "today"}},
            ],
            "next": "contact",
        },
        {
            "id": "contact",
            "fields": [
                {"id": "email", "type": "email", "required": True, "ask_once": True},
                {"id": "notes", "type": "textarea", "visible_if": kind_is("home")},
                {
                    "id": "consent",
                    "type": "consent",
                    "required": True,
                    "consent_text": "I agree to be contacted about this quote.",
                },
            ],
            "end": True,
        },
    ],
    "segments": [
        {
            "id": "business",
            "when": kind_is("business"),
            "steps": ["company"],
            "scoring": [
                {
                    "id": "big-company",
                    "when": {">=": [{"var": "employees"}, 50]},
                    "points": 40,
                    "reason": "50 staff or more",
                }
            ],
            "knockouts": [
                {
                    "id": "sole-trader",
                    "when": {"<": [{"var": "employees"}, 2]},
                    "reason": "Sole trader",
                }
            ],
            "tiers": [{"tier": "hot", "from": 40}, {"tier": "cold", "to": 40}],
            "routes": {
                "hot": {"track": "sales-desk"},
                "disqualified": {"track": "polite-decline"},
            },
        },
        {
            "id": "home",
            "steps": ["household"],
            "scoring": [
                {
                    "id": "large-home",
                    "when": {"in": [{"var": "rooms"}, ["four", "five"]]},
                    "points": 30,
                    "reason": "Four rooms or more",
                }
            ],
        },
    ],
    "qualification": {
        "scoring": [
            {
                "id": "wrote-notes",
                "when": {"!!": [{"var": "notes"}]},
                "points": 5,
                "reason": "Told us more",
            }
        ],
        "tiers": [
            {"tier": "hot", "from": 30},
            {"tier": "warm", "from": 10, "to": 30},
            {"tier": "cold", "to": 10},
        ],
        "routes": {
            "hot": {"track": "callback"},
            "warm": {"track": "nurture"},
            "cold": {"track": "newsletter"},
        },
    },
}


def mutated(changes):
    """BASE with ``changes`` ({json pointer: value}) applied; "-" appends."""
    document = copy.deepcopy(BASE)
    for pointer, value in changes.items():
        *parents, last = pointer.split("/")[1:]
        target = document
        for part in parents:
            target = target[int(part) if isinstance(target, list) else part]
        if isinstance(target, list):
            if value is DELETE:
                del target[int(last)]
            elif last == "-":
                target.append(value)
            else:
                target[int(last)] = value
        elif value is DELETE:
            del target[last]
        else:
            target[last] = value
    return document


def compiled(document):
    return compile_spec(document, client="c", form="f", source="f.json")


def test_base_spec_has_no_problems():
    assert check_spec(compiled(BASE)) == []


WHEN_SEGMENT = "/steps/0/next/0/when"
NO_WAY_OUT = {"/steps/1/next": "start", "/steps/2/next": "start"}
LOOP_BACK = {
    "/steps/1/next": [
        {"when": {"==": [{"var": "employees"}, 0]}, "goto": "start"},
        {"goto": "contact"},
    ]
}

CASES = [
    # 1. Ids used twice and reserved names.
    pytest.param(
        {"/steps/2/id": "company"},
        "/steps/2/id",
        "step id 'company' is already used at /steps/1",
        "error",
        id="duplicate-step-id",
    ),
    pytest.param(
        {"/steps/2/fields/0/id": "employees"},
        "/steps/2/fields/0/id",
        "field id 'employees' is already used at /steps/1/fields/0",
        "error",
        id="duplicate-field-id-across-steps",
    ),
    pytest.param(
        {"/segments/1/id": "business"},
        "/segments/1/id",
        "segment id 'business' is already used at /segments/0",
        "error",
        id="duplicate-segment-id",
    ),
    pytest.param(
        {"/steps/0/fields/0/options/1/value": "business"},
        "/steps/0/fields/0/options/1/value",
        "field 'kind' lists the option value 'business' twice",
        "error",
        id="duplicate-option-value",
    ),
    pytest.param(
        {"/capture": ["utm_source", "rooms"]},
        "/steps/2/fields/0/id",
        "field 'rooms' has the name of a captured landing-URL parameter",
        "error",
        id="field-named-like-captured-parameter",
    ),
    pytest.param(
        {"/steps/2/fields/1/id": "segment"},
        "/steps/2/fields/1/id",
        "the field id 'segment' is reserved",
        "error",
        id="field-named-segment",
    ),
    pytest.param(
        {"/qualification/scoring/0/id": "big-company"},
        "/segments/0/scoring/0/id",
        "rule id 'big-company' is already used at /qualification/scoring/0",
        "warning",
        id="duplicate-rule-id",
    ),
    # 2. References to nothing.
    pytest.param(
        {"/steps/1/next": "contact-us"},
        "/steps/1/next",
        "step 'company' sends to 'contact-us', which no step defines; "
        "did you mean 'contact'?",
        "error",
        id="unknown-next-step",
    ),
    pytest.param(
        {"/steps/0/next/0/goto": "compny"},
        "/steps/0/next/0/goto",
        "sends to 'compny', which no step defines; did you mean 'company'?",
        "error",
        id="unknown-branch-target",
    ),
    pytest.param(
        {"/segments/0/steps/0": "companies"},
        "/segments/0/steps/0",
        "segment 'business' lists step 'companies', which no step defines; "
        "did you mean 'company'?",
        "error",
        id="unknown-segment-step",
    ),
    pytest.param(
        {"/lead_fields": ["email", "emplyees"]},
        "/lead_fields/1",
        "the lead field 'emplyees' is not a field of this form; did you mean "
        "'employees'?",
        "error",
        id="unknown-lead-field",
    ),
    pytest.param(
        {"/steps/3/fields/0/id": "work_email"},
        "",
        """the lead field 'email' (lead_fields defaults to ["email"])""",
        "error",
        id="default-lead-field-missing",
    ),
    # 3. Field settings that do not fit the type.
    pytest.param(
        {"/steps/2/fields/0/options": DELETE},
        "/steps/2/fields/0",
        "field 'rooms' is select but has no options; add options",
        "error",
        id="select-without-options",
    ),
    pytest.param(
        {"/steps/1/fields/2/options": choice("a")},
        "/steps/1/fields/2/options",
        "field 'industry_other' is text, so its options are never shown",
        "warning",
        id="options-on-text",
    ),
    pytest.param(
        {"/steps/3/fields/2/consent_text": DELETE},
        "/steps/3/fields/2",
        "consent field 'consent' has no consent_text",
        "error",
        id="consent-without-text",
    ),
    pytest.param(
        {"/steps/1/fields/2/validation/pattern": "([a-z"},
        "/steps/1/fields/2/validation/pattern",
        "the pattern of field 'industry_other' is not a valid regular expression",
        "error",
        id="invalid-pattern",
    ),
    pytest.param(
        {"/steps/1/fields/0/validation/min": 200000},
        "/steps/1/fields/0/validation/min",
        "field 'employees' has min 200000 above max 100000",
        "error",
        id="min-above-max",
    ),
    pytest.param(
        {"/steps/1/fields/2/validation/min_length": 100},
        "/steps/1/fields/2/validation/min_length",
        "has min_length 100 above max_length 80",
        "error",
        id="min-length-above-max-length",
    ),
    pytest.param(
        {"/steps/2/fields/1/validation/min_date": "tomorrow"},
        "/steps/2/fields/1/validation/min_date",
        "min_date 'tomorrow' of field 'moving' is not a date",
        "error",
        id="min-date-not-a-date",
    ),
    pytest.param(
        {"/steps/1/fields/2/validation/min_choices": 1},
        "/steps/1/fields/2/validation/min_choices",
        "'min_choices' does not apply to field 'industry_other' (text); remove it "
        "(it is meant for checkboxes fields)",
        "warning",
        id="validation-key-ignored-by-type",
    ),
    pytest.param(
        {"/steps/1/fields/2/validation/min": 1},
        "/steps/1/fields/2/validation/min",
        "makes the server fail when the field is answered",
        "error",
        id="validation-key-breaking-type",
    ),
    # 4. Conditions.
    pytest.param(
        {"/steps/3/fields/1/visible_if": {"and": [True, {"eq": [1, 1]}]}},
        "/steps/3/fields/1/visible_if/and/1",
        "'eq' is not an operator conditions can use",
        "error",
        id="unknown-operator",
    ),
    pytest.param(
        {WHEN_SEGMENT: {"==": [{"var": "segmnt"}, "business"]}},
        WHEN_SEGMENT,
        "reads 'segmnt', which is neither a field, a captured parameter nor "
        "'segment'; did you mean 'segment'?",
        "error",
        id="unknown-variable",
    ),
    pytest.param(
        {"/segments/0/when": kind_is("busines")},
        "/segments/0/when/==/1",
        "field 'kind' has no option 'busines'; did you mean 'business'?",
        "warning",
        id="compared-with-unknown-option",
    ),
    pytest.param(
        {"/segments/1/scoring/0/when/in/1/1": "fiv"},
        "/segments/1/scoring/0/when/in/1/1",
        "field 'rooms' has no option 'fiv'; did you mean 'five'?",
        "warning",
        id="in-list-with-unknown-option",
    ),
    pytest.param(
        {WHEN_SEGMENT: {"!==": ["busness", {"var": "segment"}]}},
        WHEN_SEGMENT + "/!==/0",
        "there is no segment 'busness'; did you mean 'business'?",
        "warning",
        id="compared-with-unknown-segment",
    ),
    pytest.param(
        {"/qualification/scoring/0/when": {"!!": [{"var": "notes"}], "points": 5}},
        "/qualification/scoring/0/when",
        "an operation is an object with exactly one key, its operator, but this "
        "one has 2 ('!!', 'points')",
        "error",
        id="object-with-two-operators",
    ),
    pytest.param(
        {"/qualification/scoring/0/when": {"*": []}},
        "/qualification/scoring/0/when",
        "this condition cannot be evaluated",
        "error",
        id="condition-failing-to-evaluate",
    ),
    # 5. Steps and paths.
    pytest.param(
        {"/steps/0/next": "company"},
        "/steps/2",
        "step 'household' cannot be reached from the first step 'start'",
        "error",
        id="unreachable-step",
    ),
    pytest.param(
        {"/steps/0/next/1/when": kind_is("home")},
        "/steps/0/next",
        "if no branch holds the form continues with step 'company'",
        "warning",
        id="no-default-branch",
    ),
    pytest.param(
        {"/steps/3/end": DELETE, "/steps/3/next": [{"when": False, "goto": "start"}]},
        "/steps/3/next",
        "if no branch holds the form ends",
        "warning",
        id="no-default-branch-on-last-step",
    ),
    pytest.param(
        {"/steps/0/next/-": {"goto": "company"}},
        "/steps/0/next/2",
        "the branch of step 'start' to 'company' comes after the branch without "
        "'when', so it is never taken",
        "warning",
        id="branch-after-default",
    ),
    pytest.param(
        {"/steps/0/next/-": {"when": kind_is("home"), "goto": "household"}},
        "/steps/0/next/2",
        "the branch of step 'start' to 'household' when “Kind is Home” comes after "
        "the branch without 'when'",
        "warning",
        id="conditional-branch-after-default",
    ),
    pytest.param(
        LOOP_BACK,
        "/steps/0",
        "steps 'start' → 'company' → 'start' form a loop",
        "warning",
        id="loop-with-a-way-out",
    ),
    pytest.param(
        NO_WAY_OUT,
        "/steps/0",
        "steps 'start' → 'company' → 'start' loop with no way out",
        "error",
        id="loop-without-a-way-out",
    ),
    pytest.param(
        {"/steps/3/next": "start"},
        "/steps/3/next",
        "step 'contact' ends the form, so its next is ignored",
        "warning",
        id="end-with-next",
    ),
    pytest.param(
        {"/steps/2/fields": []},
        "/steps/2",
        "step 'household' has nothing to ask",
        "error",
        id="step-without-fields",
    ),
    pytest.param(
        {"/steps/2/fields": [{"id": "rooms", "type": "hidden", "value": "three"}]},
        "/steps/2/fields",
        "step 'household' can be reached with nothing to ask",
        "warning",
        id="step-with-only-hidden-fields",
    ),
    # 6. Conditions reading answers not given yet.
    pytest.param(
        {"/steps/3/fields/1/visible_if": {"==": [{"var": "industry"}, "retail"]}},
        "/steps/3/fields/1/visible_if",
        "the field “Notes” is shown when “Industry is Retail”, but “Industry” is "
        "not asked before step 'contact' on every path",
        "warning",
        id="visible-if-reads-field-of-one-branch",
    ),
    pytest.param(
        {WHEN_SEGMENT: {">": [{"var": "employees"}, 10]}},
        WHEN_SEGMENT,
        "the branch when “Employees is more than 10” reads “Employees”, which is "
        "not asked on every path up to step 'start'",
        "warning",
        id="branch-reads-later-field",
    ),
    pytest.param(
        {
            "/steps/1/fields/0/label": "Staff\nf.json:/: error: forged",
            WHEN_SEGMENT: {">": [{"var": "employees"}, 10]},
        },
        WHEN_SEGMENT,
        "the branch when “Staff\\nf.json:/: error: forged is more than 10” reads",
        "warning",
        id="branch-reads-field-with-a-newline-in-its-label",
    ),
    pytest.param(
        {
            "/steps/0/fields/-": {
                "id": "size",
                "type": "text",
                "visible_if": {"==": [{"var": "segment"}, "business"]},
            }
        },
        "/steps/0/fields/1/visible_if",
        "the field “Size” is shown when “the segment is business”, but the segment "
        "is not known before the first step 'start' is answered",
        "warning",
        id="first-step-reads-segment",
    ),
    # 7. Lead fields.
    pytest.param(
        {"/steps/3/fields/0/required": False},
        "/steps/3/fields/0",
        "'email' is a lead field but is not required",
        "error",
        id="lead-field-not-required",
    ),
    pytest.param(
        {"/lead_fields": ["email", "employees"]},
        "/steps/3",
        "can finish the form at step 'contact' without being asked the lead field "
        "'employees'",
        "error",
        id="lead-field-skipped-on-a-path",
    ),
    # 8. Qualification.
    pytest.param(
        {"/qualification/tiers/1/to": 40},
        "/qualification/tiers/1",
        "tiers 'hot' (from 30) and 'warm' (10 to 40) overlap between 30 and 40",
        "error",
        id="overlapping-tiers",
    ),
    pytest.param(
        {"/qualification/tiers/1/to": 20},
        "/qualification/tiers/0",
        "no tier covers scores from 20 up to 30",
        "error",
        id="gap-between-tiers",
    ),
    pytest.param(
        {"/qualification/tiers/1/from": 30, "/qualification/tiers/1/to": 10},
        "/qualification/tiers/1",
        "tier 'warm' (30 to 10) is empty",
        "error",
        id="tier-from-above-to",
    ),
    pytest.param(
        {"/qualification/tiers/1/from": DELETE},
        "/qualification/tiers/2",
        "tiers 'warm' and 'cold' both leave out 'from'",
        "error",
        id="two-tiers-without-from",
    ),
    pytest.param(
        {"/qualification/tiers/1/to": DELETE},
        "/qualification/tiers/1",
        "tiers 'hot' and 'warm' both leave out 'to'",
        "error",
        id="two-tiers-without-to",
    ),
    pytest.param(
        {"/qualification/tiers/2/tier": "disqualified"},
        "/qualification/tiers/2/tier",
        "the tier name 'disqualified' is kept for knock-outs",
        "error",
        id="tier-named-disqualified",
    ),
    pytest.param(
        {"/segments/0/tiers/0/to": 100},
        "/segments/0/tiers/0",
        "no tier covers scores of 100 and above, so they get the lowest tier 'cold'",
        "warning",
        id="highest-tier-with-to",
    ),
    pytest.param(
        {"/qualification/tiers": DELETE},
        "/segments/1",
        "segment 'home' has scoring rules but no tiers",
        "warning",
        id="scoring-without-tiers",
    ),
    pytest.param(
        {"/qualification/routes/warm": DELETE},
        "/segments/1",
        "segment 'home' has no route for tier 'warm'; add routes.warm",
        "error",
        id="tier-without-route",
    ),
    pytest.param(
        {"/segments/0/routes/disqualified": DELETE},
        "/segments/0",
        "segment 'business' has no route for tier 'disqualified'",
        "error",
        id="knockouts-without-disqualified-route",
    ),
    pytest.param(
        {"/segments": DELETE, "/qualification/routes/cold": DELETE},
        "/qualification",
        "the form has no route for tier 'cold'; add qualification.routes.cold",
        "error",
        id="form-without-segments-lacks-route",
    ),
    pytest.param(
        {"/segments/0/routes/hott": {"track": "sales-desk"}},
        "/segments/0/routes/hott",
        "route 'hott' is for no tier; did you mean 'hot'?",
        "warning",
        id="route-for-no-tier",
    ),
    pytest.param(
        {"/segments/0/when": DELETE},
        "/segments/0",
        "segment 'business' has no 'when', so it takes every prospect and the "
        "segments after it ('home') are never used",
        "error",
        id="catch-all-segment-not-last",
    ),
    pytest.param(
        {"/segments/1/when": kind_is("home")},
        "/segments",
        "every segment has a 'when', so a prospect matching none gets no segment",
        "warning",
        id="no-catch-all-segment",
    ),
]


@pytest.mark.parametrize(("changes", "pointer", "fragment", "severity"), CASES)
def test_check_spec_reports_the_problem(changes, pointer, fragment, severity):
    problems = check_spec(compiled(mutated(changes)))

    found = [p for p in problems if p.pointer == pointer and fragment in p.message]
    assert found, "\n".join(str(p) for p in problems)
    assert [p.severity for p in found] == [severity]
    assert all(p.source == "f.json" for p in problems)


def test_problems_are_sorted_by_pointer():
    problems = check_spec(compiled(mutated(NO_WAY_OUT | {"/steps/1/id": "x"})))

    assert len(problems) > 1
    assert problems == sorted(problems)


@pytest.mark.parametrize("depth", [10, 200, 900, 3000])
def test_deeply_nested_condition_never_raises(tmp_path, depth):
    marker = '"__rule__"'
    rule = '{"!": [' * depth + '{"var": "kind"}' + "]}" * depth
    text = json.dumps(mutated({"/steps/3/fields/1/visible_if": "__rule__"}))
    path = client_folder(tmp_path) / "deep.json"
    path.write_text(text.replace(marker, rule))

    assert all(p.source == str(path) for p in check_paths([path]))


def example_specs():
    if not EXAMPLES.is_dir():
        return []
    return [
        path
        for folder in sorted(EXAMPLES.iterdir())
        if folder.is_dir()
        for path in spec_paths(folder)
    ]


@pytest.mark.parametrize(
    "path", example_specs(), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_example_spec_has_no_errors(path):
    errors = [p for p in check_paths([path]) if p.severity == "error"]

    assert errors == []


def test_examples_folder_has_no_errors():
    errors = [p for p in check_paths([EXAMPLES]) if p.severity == "error"]

    assert errors == []


def client_folder(tmp_path):
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / CLIENT_FILE).write_text('{"name": "Acme"}')
    return folder


BROKEN_FILES = [
    pytest.param(
        "form.json",
        b"{",
        [
            (
                "",
                "not valid JSON at line 1, column 2: expecting property name "
                "enclosed in double quotes",
            )
        ],
        id="not-json",
    ),
    pytest.param(
        "form.json", b"", [("", "the file is empty; it must hold JSON")], id="empty"
    ),
    pytest.param(
        "form.json",
        b" \n\t",
        [("", "the file is empty; it must hold JSON")],
        id="only-spaces",
    ),
    pytest.param(
        "form.json",
        b"\xff\xfe\x00\x01PK",
        [("", "the file is not UTF-8 text; save it as UTF-8")],
        id="binary",
    ),
    pytest.param(
        "form.json", b"[]", [("", "[] should be an object {…}")], id="json-list"
    ),
    pytest.param(
        "form.json",
        b'{"title": 5, "steps": "none"}',
        [
            ("/steps", '"none" should be a list […]'),
            ("/title", "5 should be text in quotes"),
        ],
        id="wrong-types",
    ),
    pytest.param(
        "form.json",
        b"[" * 100000 + b"]" * 100000,
        [("", "the JSON is nested too deeply")],
        id="nested-too-deeply",
    ),
    pytest.param(
        "form.json",
        b'{"qualification": {"scoring": [{"points": NaN}]}}',
        [
            (
                "/qualification/scoring/0/points",
                "NaN is not a number JSON allows; write a number, such as 0 or "
                "1000000, or leave the setting out",
            )
        ],
        id="nan",
    ),
    pytest.param(
        "form.json",
        b'{"tiers": [{"from": -Infinity, "to": Infinity}]}',
        [
            (
                "/tiers/0/from",
                "-Infinity is not a number JSON allows; write a number, such as 0 "
                "or 1000000, or leave the setting out",
            ),
            (
                "/tiers/0/to",
                "Infinity is not a number JSON allows; write a number, such as 0 "
                "or 1000000, or leave the setting out",
            ),
        ],
        id="infinity",
    ),
    pytest.param(
        "form.json",
        b'{"a/b": [0, {"points": 1e999}]}',
        [
            (
                "/a~1b/1/points",
                "the number 1e999 is beyond what a spec can compute with; write a "
                "number between -1e308 and 1e308",
            )
        ],
        id="float-overflowing-to-infinity",
    ),
    pytest.param(
        "form.json",
        b'{"points": -' + b"9" * 5000 + b"}",
        [
            (
                "/points",
                "the number -9999999999999999999… is beyond what a spec can compute "
                "with; write a number between -1e308 and 1e308",
            )
        ],
        id="integer-beyond-a-float",
    ),
    pytest.param(
        "form.json",
        b"\xef\xbb\xbf[]",
        [("", "[] should be an object {…}")],
        id="byte-order-mark-then-json",
    ),
    pytest.param(
        CLIENT_FILE,
        b'{"nam": "Acme"}',
        [
            ("", "'name' is missing here; add it"),
            ("", "'nam' is not a setting here; did you mean 'name'?"),
        ],
        id="client-file-with-wrong-key",
    ),
    pytest.param(
        CLIENT_FILE,
        b'{"name": "Acme", "branding": {"logo": "https://x.example/a.png"}}',
        [
            (
                "/branding/logo",
                '"https://x.example/a.png" must be a path under /static/ on this'
                " server, such as /static/logos/acme.svg: form pages make no"
                " third-party requests",
            )
        ],
        id="client-logo-on-another-host",
    ),
]


@pytest.mark.parametrize(("name", "content", "expected"), BROKEN_FILES)
def test_broken_file_gives_exactly_its_problems(tmp_path, name, content, expected):
    path = client_folder(tmp_path) / name
    path.write_bytes(content)

    problems = check_paths([path])

    assert problems == sorted(Problem(str(path), p, m) for p, m in expected)


def test_broken_file_is_found_when_checking_its_folder(tmp_path):
    folder = client_folder(tmp_path)
    (folder / "form.json").write_bytes(b"")

    assert check_paths([tmp_path]) == [
        Problem(str(folder / "form.json"), "", "the file is empty; it must hold JSON")
    ]


def test_folder_without_client_file(tmp_path):
    folder = tmp_path / "orphan"
    folder.mkdir()
    (folder / "form.json").write_text(json.dumps(BASE))

    assert check_paths([tmp_path]) == [
        Problem(
            str(folder),
            "",
            "this folder holds form specs but no client.json; add one with at "
            'least the client\'s "name"',
        )
    ]


def test_missing_path(tmp_path):
    path = tmp_path / "nowhere" / "form.json"

    assert check_paths([path]) == [Problem(str(path), "", "no such file or folder")]


def test_folder_named_like_a_spec(tmp_path):
    folder = client_folder(tmp_path)
    (folder / "form.json").mkdir()

    assert check_paths([folder]) == [
        Problem(str(folder / "form.json"), "", "this is a folder, not a JSON file")
    ]


def test_unreadable_file(tmp_path, monkeypatch):
    folder = client_folder(tmp_path)
    path = folder / "form.json"
    path.write_text(json.dumps(BASE))
    read_bytes = Path.read_bytes

    def refuse(self):
        if self.name == "form.json":
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)

    assert check_paths([folder]) == [
        Problem(str(path), "", "cannot read the file: Permission denied")
    ]


def test_empty_folder_is_a_warning(tmp_path):
    assert check_paths([tmp_path]) == [
        Problem(
            str(tmp_path),
            "",
            "no client folder (one holding client.json) was found here",
            "warning",
        )
    ]


def test_valid_client_folder_and_repeated_paths(tmp_path):
    folder = client_folder(tmp_path)
    path = folder / "form.json"
    path.write_text(json.dumps(BASE))

    assert check_paths([tmp_path, folder, path, folder / CLIENT_FILE]) == []


def test_files_saved_with_a_byte_order_mark_are_read(tmp_path):
    folder = tmp_path / "acme-realty"
    folder.mkdir()
    for source in sorted((EXAMPLES / "acme-realty").glob("*.json")):
        (folder / source.name).write_bytes(b"\xef\xbb\xbf" + source.read_bytes())

    assert check_paths([folder]) == []


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("plain words", "plain words"),
        ("“curly” quotes and ünïcode", "“curly” quotes and ünïcode"),
        ("two\nf.json:/: error: forged", "two\\nf.json:/: error: forged"),
        ("carriage\rreturn and\ttab", "carriage\\rreturn and\\ttab"),
        ("escape \x1b[2J sequence", "escape \\x1b[2J sequence"),
        ("line\u2028separator", "line\\u2028separator"),
    ],
)
def test_a_problem_reads_as_exactly_one_line(message, shown):
    problem = Problem("f\n.json", "/a\nb", message)

    assert str(problem) == f"f\\n.json:/a\\nb: error: {shown}"
    assert len(str(problem).splitlines()) == 1
