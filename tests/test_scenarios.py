import json
from pathlib import Path

import pytest

from formserver.catalog import TESTS_SUFFIX
from formserver.checker import check_paths
from formserver.cli import main
from formserver.problems import Problem

EXAMPLES = Path(__file__).parents[1] / "form_specs"
SPEC = Path("acme-realty/property-enquiry.json")
TESTS = SPEC.with_name(SPEC.stem + TESTS_SUFFIX)
SMALL_OCCUPIER = 5  # "occupier needing a small space is warm only with a lease end"
LARGE_INVESTOR = 0  # "large investor in London is hot and offered the desk's calendar"


def edit_scenario(specs_dir, index, change):
    """Apply ``change`` to scenario ``index`` of the copied tests file."""
    path = specs_dir / TESTS
    document = json.loads(path.read_text())
    change(document["scenarios"][index])
    path.write_text(json.dumps(document))
    return document["scenarios"][index]["name"]


def failure(specs_dir, index, message):
    return Problem(str(specs_dir / TESTS), f"/scenarios/{index}", message)


def test_example_scenarios_all_pass():
    assert check_paths([EXAMPLES]) == []


def test_wrong_expected_tier_names_the_scenario_and_the_difference(specs_dir):
    name = edit_scenario(
        specs_dir, SMALL_OCCUPIER, lambda s: s["expect"].update(tier="hot")
    )

    assert check_paths([specs_dir / SPEC.parent]) == [
        failure(
            specs_dir,
            SMALL_OCCUPIER,
            f"scenario '{name}' failed: expected tier 'hot', got 'warm'",
        )
    ]


def test_further_differences_are_counted(specs_dir):
    def change(scenario):
        scenario["expect"].update(tier="hot", score=60, route="occupier-agents")

    name = edit_scenario(specs_dir, SMALL_OCCUPIER, change)

    assert check_paths([specs_dir / SPEC.parent]) == [
        failure(
            specs_dir,
            SMALL_OCCUPIER,
            f"scenario '{name}' failed: expected tier 'hot', got 'warm' "
            "(and 2 more differences)",
        )
    ]


def test_missing_required_answer_names_the_step_field_and_message(specs_dir):
    name = edit_scenario(specs_dir, LARGE_INVESTOR, lambda s: s["answers"].pop("email"))

    assert check_paths([specs_dir / SPEC.parent]) == [
        failure(
            specs_dir,
            LARGE_INVESTOR,
            f"scenario '{name}' failed: stopped at step 'contact': no answer for "
            "field 'email' (the form says: Please fill in “Work email”.)",
        )
    ]


def test_misspelt_answer_is_pointed_out(specs_dir):
    def change(scenario):
        scenario["answers"]["emial"] = scenario["answers"].pop("email")

    edit_scenario(specs_dir, LARGE_INVESTOR, change)

    (problem,) = check_paths([specs_dir / SPEC.parent])
    assert problem.message.endswith("; the answers name 'emial': did you mean 'email'?")


def test_refused_answer_names_the_answer_and_message(specs_dir):
    name = edit_scenario(
        specs_dir, LARGE_INVESTOR, lambda s: s["answers"].update(email="ann")
    )

    (problem,) = check_paths([specs_dir / SPEC.parent])
    assert problem.message.startswith(
        f"scenario '{name}' failed: stopped at step 'contact': the answer 'ann' "
        "for field 'email' is refused (the form says: "
    )


def test_unknown_expected_key_is_reported_first(specs_dir):
    def change(scenario):
        scenario["expect"] = {"tiers": "hot", "tier": "cold"}

    name = edit_scenario(specs_dir, LARGE_INVESTOR, change)

    assert check_paths([specs_dir / SPEC.parent]) == [
        failure(
            specs_dir,
            LARGE_INVESTOR,
            f"scenario '{name}' failed: 'tiers' is not something a scenario can "
            "expect (it can expect path, segment, tier, score, route or reasons); "
            "did you mean 'tier'? (and 1 more difference)",
        )
    ]


BROKEN_TESTS_FILES = [
    pytest.param(
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
    pytest.param(b"", [("", "the file is empty; it must hold JSON")], id="empty"),
    pytest.param(
        b"[]",
        [
            (
                "",
                'a tests file holds a list of scenarios, like {"scenarios": '
                '[{"name": …, "answers": {…}, "expect": {…}}]}',
            )
        ],
        id="json-list",
    ),
    pytest.param(
        b'{"scenarios": {}}',
        [
            (
                "",
                'a tests file holds a list of scenarios, like {"scenarios": '
                '[{"name": …, "answers": {…}, "expect": {…}}]}',
            )
        ],
        id="scenarios-not-a-list",
    ),
    pytest.param(
        b'{"scenarios": ["hot lead"]}',
        [("/scenarios/0", 'a scenario is an object {"name": …, "answers": {…}, …}')],
        id="scenario-not-an-object",
    ),
    pytest.param(
        b'{"scenarios": [{"name": "a", "answers": ["role"], "expect": 5}]}',
        [
            ("/scenarios/0/answers", "'answers' should be an object {…}"),
            ("/scenarios/0/expect", "'expect' should be an object {…}"),
        ],
        id="wrong-types",
    ),
    pytest.param(
        b'{"scenarios": [{"name": "a", "expects": {"tier": "hot"}}]}',
        [
            (
                "/scenarios/0",
                "'expects' is not a setting of a scenario; did you mean 'expect'?",
            )
        ],
        id="misspelt-setting",
    ),
    pytest.param(
        b'{"scenarios": [{"name": 7, "answers": {"a/b": null}}]}',
        [
            (
                "/scenarios/0/answers/a~1b",
                "the answer to 'a/b' should be text, a number, true or false, or "
                "a list of texts",
            ),
            ("/scenarios/0/name", "the name should be text in quotes"),
        ],
        id="unreadable-values",
    ),
]


@pytest.mark.parametrize(("content", "expected"), BROKEN_TESTS_FILES)
def test_broken_tests_file_gives_exactly_its_problems(specs_dir, content, expected):
    path = specs_dir / TESTS
    path.write_bytes(content)

    assert check_paths([specs_dir / SPEC.parent]) == sorted(
        Problem(str(path), pointer, message) for pointer, message in expected
    )


def test_tests_file_alone_is_run_against_its_spec():
    assert check_paths([EXAMPLES / TESTS]) == []


def test_tests_file_alone_reports_its_failures(specs_dir):
    name = edit_scenario(
        specs_dir, SMALL_OCCUPIER, lambda s: s["expect"].update(tier="hot")
    )

    assert check_paths([specs_dir / TESTS]) == [
        failure(
            specs_dir,
            SMALL_OCCUPIER,
            f"scenario '{name}' failed: expected tier 'hot', got 'warm'",
        )
    ]


def test_tests_file_and_its_folder_run_the_scenarios_once(specs_dir):
    edit_scenario(specs_dir, SMALL_OCCUPIER, lambda s: s["expect"].update(tier="hot"))

    assert len(check_paths([specs_dir / TESTS, specs_dir, specs_dir / SPEC])) == 1


def test_tests_file_without_its_spec_is_an_error(specs_dir):
    (specs_dir / SPEC).unlink()

    assert check_paths([specs_dir / TESTS]) == [
        Problem(
            str(specs_dir / TESTS),
            "",
            "there is no spec 'property-enquiry.json' beside this tests file, so "
            "its scenarios cannot run; name it after its spec, as "
            "<form>.tests.json",
        )
    ]


def test_stray_tests_file_in_a_folder_is_a_warning(specs_dir):
    (specs_dir / SPEC).rename(specs_dir / SPEC.with_name("enquiry.json"))

    problems = check_paths([specs_dir / SPEC.parent])

    assert [(p.source, p.severity) for p in problems] == [
        (str(specs_dir / TESTS), "warning")
    ]
    assert "no spec 'property-enquiry.json'" in problems[0].message


def test_scenarios_wait_until_the_spec_has_no_errors(specs_dir):
    spec = json.loads((specs_dir / SPEC).read_text())
    spec["steps"][0]["next"] = "nowhere"
    (specs_dir / SPEC).write_text(json.dumps(spec))
    edit_scenario(specs_dir, SMALL_OCCUPIER, lambda s: s["expect"].update(tier="hot"))

    problems = check_paths([specs_dir / TESTS])

    assert {(Path(p.source).name, p.severity) for p in problems} == {
        ("property-enquiry.json", "error"),
        ("property-enquiry.tests.json", "warning"),
    }
    assert not any("scenario '" in p.message for p in problems)


def test_check_command_fails_on_a_failing_scenario(specs_dir, runner):
    name = edit_scenario(
        specs_dir, SMALL_OCCUPIER, lambda s: s["expect"].update(tier="hot")
    )

    result = runner.invoke(main, ["check", str(specs_dir / TESTS)])

    assert result.exit_code == 1
    assert f"scenario '{name}' failed: expected tier 'hot'" in result.output


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: s.pop("expect"), id="no-expect"),
        pytest.param(lambda s: s.update(expect={}), id="empty-expect"),
    ],
)
def test_scenario_expecting_nothing_is_a_warning_naming_it(specs_dir, change):
    name = edit_scenario(specs_dir, LARGE_INVESTOR, change)

    assert check_paths([specs_dir / SPEC.parent]) == [
        Problem(
            str(specs_dir / TESTS),
            f"/scenarios/{LARGE_INVESTOR}",
            f"scenario '{name}' expects nothing, so it passes whatever the form "
            'does; add an "expect" with any of path, segment, tier, score, route '
            "or reasons",
            "warning",
        )
    ]


def test_a_marketers_message_with_a_newline_stays_on_its_problems_line(
    specs_dir, runner
):
    spec = json.loads((specs_dir / SPEC).read_text())
    (email,) = [
        field
        for step in spec["steps"]
        for field in step["fields"]
        if field["id"] == "email"
    ]
    email["required_message"] = "Your email, please.\nx.json:/: error: forged"
    (specs_dir / SPEC).write_text(json.dumps(spec))
    edit_scenario(specs_dir, LARGE_INVESTOR, lambda s: s["answers"].pop("email"))

    result = runner.invoke(main, ["check", str(specs_dir / SPEC)])

    (line,) = result.stdout.splitlines()
    assert line.endswith(
        "(the form says: Your email, please.\\nx.json:/: error: forged)"
    )
