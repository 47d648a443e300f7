import datetime
from pathlib import Path

import pytest

from formserver.catalog import load_spec
from formserver.engine import Flow, FlowError
from formserver.profiling import Known
from formserver.qualification import tier_for
from formserver.specfile import compile_spec

ACME = Path(__file__).parents[1] / "form_specs/acme-realty/property-enquiry.json"
NOW = datetime.datetime(2030, 6, 1, 12, 0, tzinfo=datetime.UTC)

CONTACT = {"full_name": "Ann Lee", "email": "ann@example.com", "consent": "y"}
INVESTOR = {
    "role": "investor",
    "ticket_size": "6m",
    "asset_classes": ["office"],
    "markets": "london",
    **CONTACT,
}
DEVELOPER = {
    "role": "developer",
    "project_stage": "consented",
    "site_area": "3.5",
    "financing": "secured",
    **CONTACT,
}
OCCUPIER = {
    "role": "occupier",
    "space_sqm": "2500",
    "move_in": "2099-01-01",
    "lease_end": "2099-06-30",
    **CONTACT,
}
YES_NO = [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]
ABC = [{"value": v, "label": v.upper()} for v in ("a", "b", "c")]


@pytest.fixture(scope="module")
def acme():
    return load_spec(ACME)


def build(document):
    return compile_spec({"title": "Test form", **document}, client="c", form="f")


def posted(typed):
    return {k: v if isinstance(v, list) else [v] for k, v in typed.items()}


def answer(spec, answers, step_id, typed, **context):
    result = Flow(spec, answers, **context).submit(step_id, posted(typed))
    assert result.ok, result.errors
    return {**answers, step_id: result.values}


def walk(spec, typed, answers=None, **context):
    """Answer steps from ``typed`` like a prospect, up to the first step that
    ``typed`` says nothing about; return the Flow there."""
    answers = dict(answers or {})
    for _ in spec.steps:
        flow = Flow(spec, answers, **context)
        if flow.complete:
            return flow
        shown = [f.id for f in flow.fields_to_ask(flow.current)]
        given = {k: typed[k] for k in shown if k in typed}
        if not given:
            return flow
        answers = answer(spec, answers, flow.current.id, given, **context)
    return Flow(spec, answers, **context)


def asked(flow, step_id):
    return [f.id for f in flow.fields_to_ask(flow.spec.steps_by_id[step_id])]


def one_field(field):
    """A one-step spec asking the field ``x`` described by ``field``."""
    return build(
        {"steps": [{"id": "s", "fields": [{"id": "x", "label": "X", **field}]}]}
    )


def submit_one(field, typed):
    return Flow(one_field(field)).submit("s", {"x": typed})


# Branching


@pytest.mark.parametrize(
    ("typed", "path", "segment"),
    [
        (INVESTOR, ["role", "investment", "contact"], "investor"),
        (DEVELOPER, ["role", "project", "contact"], "developer"),
        (OCCUPIER, ["role", "space", "contact"], "occupier"),
    ],
)
def test_role_branches_to_the_steps_of_its_segment(acme, typed, path, segment):
    flow = walk(acme, typed)

    assert flow.complete
    assert flow.path == path
    assert flow.tag().segment == segment


BRANCHES = {
    "steps": [
        {
            "id": "start",
            "fields": [{"id": "q", "type": "radio", "options": ABC}],
            "next": [
                {"when": {"==": [{"var": "q"}, "a"]}, "goto": "far"},
                {"when": {"in": [{"var": "q"}, ["a", "b"]]}, "goto": "end"},
            ],
        },
        {"id": "middle", "fields": [{"id": "m", "type": "text"}]},
        {"id": "far", "fields": [{"id": "f", "type": "text"}], "end": True},
        {"id": "end", "fields": [{"id": "e", "type": "text"}], "end": True},
    ]
}


@pytest.mark.parametrize(
    ("choice", "next_step"),
    [("a", "far"), ("b", "end"), ("c", "middle"), ("", "middle")],
)
def test_first_branch_that_holds_wins_and_none_falls_through_to_the_next_step(
    choice, next_step
):
    spec = build(BRANCHES)

    flow = Flow(spec, answer(spec, {}, "start", {"q": choice}))

    assert flow.current.id == next_step


def test_step_without_next_continues_in_listed_order_and_end_stops_the_form():
    spec = build(BRANCHES)
    answers = answer(spec, {}, "start", {"q": "c"})

    flow = walk(spec, {"m": "", "f": "", "e": ""}, answers)

    assert flow.complete
    assert flow.path == ["start", "middle", "far"]


# visible_if


def test_field_whose_condition_reads_its_own_step_is_shown_until_submitted(acme):
    flow = walk(acme, {"role": "investor"})

    assert flow.current.id == "investment"
    assert "asset_other" in asked(flow, "investment")


@pytest.mark.parametrize(
    ("classes", "other", "errors", "value"),
    [
        (["office"], None, set(), None),
        (["office"], "Hotels", set(), None),
        (["other"], "Hotels", set(), "Hotels"),
        (["other"], None, {"asset_other"}, None),
        (["other"], "  ", {"asset_other"}, None),
    ],
)
def test_field_shown_by_its_own_step_is_required_and_kept_only_when_visible(
    acme, classes, other, errors, value
):
    flow = walk(acme, {"role": "investor"})
    typed = {"ticket_size": "1m", "asset_classes": classes, "markets": "london"}
    if other is not None:
        typed["asset_other"] = other

    result = flow.submit("investment", posted(typed))

    assert set(result.errors) == errors
    if not errors:
        assert result.values["asset_other"] == value


FOLLOW_UP = {
    "steps": [
        {
            "id": "one",
            "fields": [
                {"id": "has_site", "type": "radio", "required": True, "options": YES_NO}
            ],
        },
        {
            "id": "two",
            "fields": [
                {
                    "id": "site_size",
                    "type": "number",
                    "required": True,
                    "visible_if": {"==": [{"var": "has_site"}, "yes"]},
                },
                {"id": "notes", "type": "text"},
            ],
            "end": True,
        },
    ],
    "qualification": {
        "scoring": [
            {
                "id": "big-site",
                "when": {">=": [{"var": "site_size"}, 10]},
                "points": 10,
                "reason": "Big site",
            }
        ]
    },
}


@pytest.mark.parametrize(
    ("has_site", "fields"), [("yes", ["site_size", "notes"]), ("no", ["notes"])]
)
def test_field_whose_condition_was_decided_before_the_step_is_left_out_when_false(
    has_site, fields
):
    spec = build(FOLLOW_UP)

    flow = Flow(spec, answer(spec, {}, "one", {"has_site": has_site}))

    assert asked(flow, "two") == fields
    assert flow.submit("two", {}).ok is (has_site == "no")


# Hidden fields and captured values

HIDDEN = {
    "steps": [
        {
            "id": "s",
            "fields": [
                {"id": "utm_source", "type": "hidden"},
                {"id": "channel", "type": "hidden", "value": "web"},
                {"id": "name", "type": "text"},
            ],
        }
    ],
    "qualification": {
        "scoring": [
            {
                "id": "partner",
                "when": {"==": [{"var": "utm_source"}, "partner"]},
                "points": 10,
                "reason": "Came from a partner",
            }
        ]
    },
}


def test_hidden_field_is_filled_from_captured_and_never_asked():
    spec = build(HIDDEN)

    flow = Flow(spec, captured={"utm_source": "partner"})

    assert asked(flow, "s") == ["name"]
    assert flow.data["utm_source"] == "partner"
    assert [r.rule for r in flow.tag().reasons] == ["partner"]


def test_a_value_posted_for_a_hidden_field_is_ignored():
    spec = build(HIDDEN)
    flow = Flow(spec, captured={"utm_source": "newsletter"})

    result = flow.submit("s", {"utm_source": ["partner"], "name": ["Ann"]})

    assert result.values == {"name": "Ann"}
    assert (
        Flow(spec, {"s": result.values}, captured={"utm_source": "newsletter"})
        .tag()
        .score
        == 0
    )


def test_hidden_field_keeps_its_value_when_the_parameter_is_not_captured():
    spec = build(HIDDEN)

    flow = Flow(spec, captured={"channel": "forged", "evil": "x"})

    assert flow.data["channel"] == "web"
    assert flow.data["utm_source"] is None
    assert "evil" not in flow.data


# Progressive profiling


def test_ask_once_field_known_in_the_profile_is_skipped_and_still_scores(acme):
    profile = {"space_sqm": Known(800)}

    flow = walk(acme, {"role": "occupier"}, profile=profile)

    assert asked(flow, "space") == ["move_in", "lease_end"]
    assert flow.data["space_sqm"] == 800
    assert "mid-space" in [r.rule for r in flow.tag().reasons]


def test_field_without_ask_once_is_asked_even_when_the_profile_knows_it(acme):
    flow = walk(acme, {"role": "occupier"}, profile={"move_in": Known("2099-01-01")})

    assert "move_in" in asked(flow, "space")


REFRESH = {
    "steps": [
        {
            "id": "s",
            "fields": [
                {
                    "id": "budget",
                    "type": "number",
                    "ask_once": True,
                    "refresh_after_days": 30,
                },
                {"id": "note", "type": "text"},
            ],
        }
    ]
}


@pytest.mark.parametrize(
    ("days_ago", "asked_again"),
    [(None, False), (0, False), (29, False), (30, True), (400, True)],
)
def test_refresh_after_days_asks_a_stale_answer_again(days_ago, asked_again):
    learned = None if days_ago is None else NOW - datetime.timedelta(days=days_ago)
    profile = {"budget": Known(5000, learned)}

    flow = Flow(build(REFRESH), profile=profile, now=NOW)

    assert ("budget" in asked(flow, "s")) is asked_again


def progressive(limit, lead_field=True):
    def ask_once(field_id, rank):
        return {"id": field_id, "type": "text", "ask_once": True, "priority": rank}

    return build(
        {
            "lead_fields": ["email"],
            "profiling": {"max_new_questions": limit},
            "steps": [
                {
                    "id": "first",
                    "fields": [
                        ask_once("low", 1),
                        ask_once("high", 30),
                        ask_once("mid", 20),
                        {"id": "email", "type": "email", "ask_once": lead_field},
                        {"id": "note", "type": "text"},
                    ],
                },
                {"id": "second", "fields": [ask_once("later", 10)]},
                {"id": "last", "fields": [{"id": "ok", "type": "consent"}]},
            ],
        }
    )


def test_max_new_questions_asks_the_unknown_ask_once_fields_of_highest_priority():
    flow = Flow(progressive(limit=2))

    assert asked(flow, "first") == ["high", "mid", "email", "note"]


@pytest.mark.parametrize(("limit", "second"), [(3, ["later"]), (2, [])])
def test_max_new_questions_counts_the_fields_asked_on_earlier_steps(limit, second):
    typed = {"high": "h", "mid": "m", "email": "a@b.co", "later": "l", "ok": "y"}

    flow = walk(progressive(limit, lead_field=False), typed)

    assert flow.complete
    assert flow.path == ["first", "second", "last"]
    assert asked(flow, "first") == ["high", "mid", "email", "note"]
    assert asked(flow, "second") == second


def test_fields_known_in_the_profile_leave_room_for_the_next_ones():
    profile = {"high": Known("known")}

    flow = Flow(progressive(limit=2), profile=profile)

    assert asked(flow, "first") == ["mid", "email", "note"]
    assert asked(flow, "second") == ["later"]


def test_a_profile_learned_mid_form_never_reopens_an_answered_step():
    # The first step was answered as a stranger's; then the email matched a
    # lead who already knew "high" and "mid", which frees room for "low".
    spec = progressive(limit=2, lead_field=False)
    typed = {"high": "h", "mid": "m", "email": "a@b.co", "note": "n"}
    answers = answer(spec, {}, "first", typed)
    profile = {"high": Known("h"), "mid": Known("m")}

    flow = Flow(spec, answers, profile=profile)

    assert "low" in asked(flow, "first")
    assert flow.path == ["first"]
    assert flow.current.id == "second"
    assert "low" not in flow.collected()


def test_a_question_on_a_branch_left_behind_takes_no_place_in_the_visit():
    def ask_once(field_id, rank):
        return {"id": field_id, "type": "text", "ask_once": True, "priority": rank}

    spec = build(
        {
            "profiling": {"max_new_questions": 2},
            "steps": [
                {
                    "id": "start",
                    "fields": [{"id": "kind", "type": "radio", "options": ABC}],
                    "next": [
                        {"when": {"==": [{"var": "kind"}, "a"]}, "goto": "for-a"},
                        {"goto": "for-others"},
                    ],
                },
                {"id": "for-a", "fields": [ask_once("a_q", 30)], "next": "last"},
                {"id": "for-others", "fields": [ask_once("b_q", 20)]},
                {
                    "id": "last",
                    "fields": [ask_once("c_q", 10), {"id": "email", "type": "email"}],
                },
            ],
        }
    )

    flow = walk(spec, {"kind": "b", "b_q": "yes"})

    assert flow.path == ["start", "for-others"]
    assert asked(flow, "last") == ["c_q", "email"]


def test_lead_fields_are_asked_beyond_max_new_questions():
    flow = Flow(progressive(limit=1))

    assert asked(flow, "first") == ["high", "email", "note"]


def test_lead_field_asked_on_an_earlier_step_leaves_max_new_questions_whole():
    spec = build(
        {
            "lead_fields": ["email"],
            "profiling": {"max_new_questions": 1},
            "steps": [
                {
                    "id": "contact",
                    "fields": [{"id": "email", "type": "email", "ask_once": True}],
                },
                {
                    "id": "more",
                    "fields": [
                        {"id": "a", "type": "text", "ask_once": True, "priority": 2},
                        {"id": "b", "type": "text", "ask_once": True, "priority": 1},
                    ],
                },
                {"id": "end", "fields": [{"id": "z", "type": "text"}]},
            ],
        }
    )

    flow = Flow(spec, answer(spec, {}, "contact", {"email": "a@b.co"}))

    assert flow.current.id == "more"
    assert asked(flow, "more") == ["a"]


def scored_choices(rules=(), knockouts=()):
    return build(
        {
            "profiling": {"max_new_questions": 1, "priority": "auto"},
            "steps": [
                {
                    "id": "s",
                    "fields": [
                        {
                            "id": "colour",
                            "type": "radio",
                            "ask_once": True,
                            "priority": 50,
                            "options": ABC,
                        },
                        {
                            "id": "budget",
                            "type": "radio",
                            "ask_once": True,
                            "options": ABC,
                        },
                    ],
                }
            ],
            "qualification": {"scoring": list(rules), "knockouts": list(knockouts)},
        }
    )


def rule(field_id, value, points):
    return {
        "when": {"==": [{"var": field_id}, value]},
        "points": points,
        "reason": f"{field_id} is {value}",
    }


def test_priority_auto_asks_first_the_field_whose_answers_move_the_score_most():
    spec = scored_choices([rule("colour", "a", 5), rule("budget", "c", 40)])

    assert asked(Flow(spec), "s") == ["budget"]


def test_priority_auto_falls_back_to_priority_when_no_answer_moves_the_score():
    spec = scored_choices()

    assert asked(Flow(spec), "s") == ["colour"]


def test_priority_auto_asks_first_a_choice_field_that_can_knock_the_lead_out():
    knockout = {"when": {"==": [{"var": "budget"}, "a"]}, "reason": "Too small"}
    spec = scored_choices([rule("colour", "a", 5)], [knockout])

    assert asked(Flow(spec), "s") == ["budget"]


# Steps with nothing to ask, planned path, steps off the path


def test_step_with_nothing_left_to_ask_is_skipped_and_not_counted_by_planned_path(
    acme,
):
    profile = {
        "project_stage": Known("consented"),
        "site_area": Known(3),
        "financing": Known("secured"),
    }

    flow = walk(acme, {"role": "developer"}, profile=profile)

    assert flow.path == ["role", "project"]
    assert flow.current.id == "contact"
    assert flow.planned_path() == ["role", "contact"]


def test_planned_path_follows_the_branches_known_so_far(acme):
    assert Flow(acme).planned_path() == ["role", "space", "contact"]

    flow = walk(acme, {"role": "investor"})

    assert flow.planned_path() == ["role", "investment", "contact"]


@pytest.mark.parametrize("step_id", ["project", "space", "contact", "no-such-step"])
def test_submitting_a_step_off_the_path_raises_flow_error(acme, step_id):
    flow = walk(acme, {"role": "investor"})

    with pytest.raises(FlowError, match="not open"):
        flow.submit(step_id, {})


# Going back


def test_going_back_to_another_branch_drops_the_old_branch_from_collected_and_tag(
    acme,
):
    investor = walk(acme, INVESTOR)
    answers = answer(acme, investor.answers, "role", {"role": "developer"})

    flow = Flow(acme, answers)

    assert flow.current.id == "project"
    assert set(flow.collected()) == {"role"}
    assert flow.tag().reasons == ()

    flow = walk(acme, DEVELOPER, answers)
    investment = {f.id for f in acme.steps_by_id["investment"].fields}
    developer_rules = {r.id for r in acme.segment("developer").scoring}

    assert flow.complete
    assert flow.path == ["role", "project", "contact"]
    assert not investment & set(flow.collected())
    assert flow.collected()["email"] == "ann@example.com"
    assert {r.rule for r in flow.tag().reasons} <= developer_rules
    assert flow.tag().segment == "developer"


def test_going_back_without_changing_the_branch_keeps_the_later_answers(acme):
    investor = walk(acme, INVESTOR)
    answers = answer(
        acme, investor.answers, "investment", {**INVESTOR, "markets": "europe"}
    )

    flow = Flow(acme, answers)

    assert flow.complete
    assert flow.collected()["markets"] == "europe"
    assert flow.tag().score == 70


def test_answer_to_a_field_hidden_after_going_back_leaves_collected():
    spec = build(FOLLOW_UP)
    answers = walk(spec, {"has_site": "yes", "site_size": "12"}).answers
    answers = answer(spec, answers, "one", {"has_site": "no"})

    flow = Flow(spec, answers)

    assert flow.complete
    assert flow.tag().score == 0
    assert "site_size" not in flow.collected()


# Normalisation and validation


@pytest.mark.parametrize(
    ("field", "typed", "expected"),
    [
        ({"type": "email"}, ["  Ann.Lee@Example.COM "], "ann.lee@example.com"),
        ({"type": "phone", "region": "GB"}, ["020 7946 0018"], "+442079460018"),
        ({"type": "phone"}, ["+1 (212) 736-5000"], "+12127365000"),
        ({"type": "phone", "region": "GB"}, [""], None),
        ({"type": "money"}, ["2.5m"], 2500000),
        ({"type": "money"}, ["750K"], 750000),
        ({"type": "money"}, ["£1,200"], 1200),
        ({"type": "money"}, ["-5"], -5),
        ({"type": "number"}, ["1,200"], 1200),
        ({"type": "number"}, [" 0.75 "], 0.75),
        ({"type": "number"}, [""], None),
        ({"type": "text"}, ["  Ann\x00 Lee\x07  "], "Ann Lee"),
        ({"type": "text"}, ["   "], None),
        ({"type": "textarea"}, ["line one\nline two"], "line one\nline two"),
        ({"type": "date"}, ["2099-01-31"], "2099-01-31"),
        ({"type": "checkboxes", "options": ABC}, ["c", "a"], ["c", "a"]),
        ({"type": "checkboxes", "options": ABC}, [], []),
        ({"type": "select", "options": ABC}, ["b"], "b"),
        ({"type": "select", "options": ABC}, [""], None),
        ({"type": "consent"}, ["y"], True),
        ({"type": "consent"}, [], False),
    ],
)
def test_answers_are_normalised(field, typed, expected):
    result = submit_one(field, typed)

    assert result.ok, result.errors
    assert result.values["x"] == expected
    assert type(result.values["x"]) is type(expected)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ({"type": "text", "required": True}, [], "Please fill in “X”."),
        ({"type": "text", "required": True}, ["   "], "Please fill in “X”."),
        pytest.param(
            {"type": "text", "required": True},
            ["\x00\x07"],
            "Please fill in “X”.",
        ),
        (
            {"type": "text", "required": True, "required_message": "Who are you?"},
            [""],
            "Who are you?",
        ),
        (
            {"type": "radio", "required": True, "options": ABC},
            [],
            "Please choose an answer for “X”.",
        ),
        ({"type": "consent", "required": True}, [], "Please tick the box to agree: X"),
        pytest.param(
            {"type": "consent", "required": True},
            ["false"],
            "Please tick the box to agree: X",
        ),
        (
            {"type": "text", "validation": {"min_length": 3}},
            ["ab"],
            "“X” must be at least 3 characters.",
        ),
        (
            {"type": "text", "validation": {"max_length": 5}},
            ["abcdef"],
            "“X” must be at most 5 characters.",
        ),
        (
            {"type": "text", "validation": {"min_length": 2, "max_length": 5}},
            ["a"],
            "“X” must be between 2 and 5 characters.",
        ),
        (
            {"type": "text", "validation": {"pattern": "^[A-Z]+$"}},
            ["abc"],
            "“X” is not in the expected format.",
        ),
        ({"type": "text"}, ["a" * 2001], "“X” is too long; please shorten it."),
        ({"type": "number"}, ["abc"], "Please enter a number for “X”."),
        ({"type": "number"}, ["2.5m"], "Please enter a number for “X”."),
        ({"type": "money"}, ["12 apples"], "Please enter a number for “X”."),
        (
            {"type": "number", "validation": {"min": 10}},
            ["5"],
            "“X” must be at least 10.",
        ),
        (
            {"type": "number", "validation": {"max": 100}},
            ["500"],
            "“X” must be at most 100.",
        ),
        (
            {"type": "number", "validation": {"min": 10, "max": 100}},
            ["5"],
            "“X” must be between 10 and 100.",
        ),
        pytest.param(
            {"type": "number", "validation": {"max": 1000000}},
            ["2000000"],
            "“X” must be at most 1,000,000.",
        ),
        (
            {"type": "money", "validation": {"min": 0, "message": "Too little."}},
            ["-3"],
            "Too little.",
        ),
        ({"type": "email"}, ["ann@"], "does not look like an email address"),
        (
            {"type": "phone", "region": "GB"},
            ["12345"],
            "Please enter a phone number we can call",
        ),
        ({"type": "date"}, ["31/01/2099"], "as a date, like 2027-03-31."),
        (
            {"type": "date", "validation": {"min_date": "2030-01-01"}},
            ["2029-12-31"],
            "Please choose a date in range for “X”.",
        ),
        (
            {"type": "select", "options": ABC},
            ["zzz"],
            "Please choose one of the answers for “X”.",
        ),
        (
            {"type": "checkboxes", "options": ABC},
            ["a", "zzz"],
            "Please choose from the answers for “X”.",
        ),
        (
            {"type": "checkboxes", "options": ABC, "validation": {"min_choices": 2}},
            ["a"],
            "Please choose at least 2 for “X”.",
        ),
        (
            {
                "type": "checkboxes",
                "options": ABC,
                "validation": {"min_choices": 1, "max_choices": 2},
            },
            ["a", "b", "c"],
            "Please choose between 1 and 2 for “X”.",
        ),
    ],
)
def test_invalid_answer_gets_a_message_for_the_prospect(field, typed, message):
    result = submit_one(field, typed)

    assert message in " ".join(result.errors.get("x", []))


# Qualification


def test_knockout_disqualifies_with_the_knockout_reason_first(acme):
    typed = {**INVESTOR, "ticket_size": "100k", "asset_classes": ["office"]}

    tag = walk(acme, typed).tag()

    assert tag.tier == "disqualified"
    assert tag.reasons[0].rule == "ticket-too-small"
    assert tag.reasons[0].knockout
    assert tag.reasons[0].points == 0
    assert [r.rule for r in tag.reasons[1:]] == ["core-assets", "home-market"]
    assert tag.score == 35
    assert tag.route.track == "polite-decline"


@pytest.mark.parametrize(
    ("changes", "score", "tier", "track"),
    [
        ({}, 85, "hot", "investor-desk"),
        ({"markets": "europe"}, 70, "hot", "investor-desk"),
        ({"ticket_size": "1m"}, 60, "warm", "investor-nurture"),
        ({"ticket_size": "300k"}, 35, "warm", "investor-nurture"),
        (
            {"ticket_size": "300k", "markets": "europe"},
            20,
            "cold",
            "investor-newsletter",
        ),
        ({"role": "developer"}, 90, "hot", "development-team"),
        ({"role": "developer", "financing": "partial"}, 60, "hot", "development-team"),
        ({"role": "developer", "site_area": "1"}, 70, "hot", "development-team"),
        (
            {"role": "developer", "project_stage": "planning", "financing": "seeking"},
            40,
            "warm",
            "developer-nurture",
        ),
        ({"role": "occupier"}, 60, "hot", "occupier-agents"),
        ({"role": "occupier", "lease_end": ""}, 40, "warm", "occupier-nurture"),
        ({"role": "occupier", "space_sqm": "50"}, 20, "warm", "occupier-nurture"),
        (
            {"role": "occupier", "space_sqm": "50", "lease_end": ""},
            0,
            "cold",
            "occupier-newsletter",
        ),
    ],
)
def test_tier_and_route_follow_the_bands_and_routes_of_the_segment(
    acme, changes, score, tier, track
):
    typed = {**INVESTOR, **DEVELOPER, **OCCUPIER, "role": "investor", **changes}

    tag = walk(acme, typed).tag()

    assert (tag.score, tag.tier, tag.route.track) == (score, tier, track)


FALLBACK = {
    "steps": [
        {
            "id": "s",
            "fields": [
                {"id": "kind", "type": "radio", "options": ABC},
                {"id": "size", "type": "number"},
            ],
        }
    ],
    "segments": [
        {
            "id": "a",
            "when": {"==": [{"var": "kind"}, "a"]},
            "tiers": [{"tier": "gold", "from": 10}, {"tier": "tin", "to": 10}],
            "routes": {"gold": {"track": "a-gold"}},
        },
        {"id": "b", "when": {"==": [{"var": "kind"}, "b"]}},
    ],
    "qualification": {
        "scoring": [
            {
                "id": "big",
                "when": {">=": [{"var": "size"}, 10]},
                "points": 10,
                "reason": "Big",
            }
        ],
        "tiers": [{"tier": "hot", "from": 5}, {"tier": "cold", "to": 5}],
        "routes": {
            "hot": {"track": "sales"},
            "cold": {"track": "newsletter"},
            "tin": {"track": "shared-tin"},
        },
    },
}


@pytest.mark.parametrize(
    ("kind", "size", "segment", "tier", "track"),
    [
        ("a", "12", "a", "gold", "a-gold"),
        ("a", "1", "a", "tin", "shared-tin"),
        ("b", "12", "b", "hot", "sales"),
        ("b", "1", "b", "cold", "newsletter"),
        ("c", "12", None, "hot", "sales"),
    ],
)
def test_segment_without_own_bands_or_routes_falls_back_to_the_qualification_ones(
    kind, size, segment, tier, track
):
    tag = walk(build(FALLBACK), {"kind": kind, "size": size}).tag()

    assert (tag.segment, tag.tier, tag.route.track) == (segment, tier, track)


def test_score_in_no_band_gets_the_lowest_band_and_no_bands_mean_unrated():
    spec = build(
        {
            "steps": [{"id": "s"}],
            "qualification": {
                "tiers": [{"tier": "hot", "from": 50}, {"tier": "cold", "to": 10}]
            },
        }
    )

    assert tier_for(spec, None, 30) == "cold"
    assert tier_for(spec, None, 50) == "hot"
    assert tier_for(build({"steps": [{"id": "s"}]}), None, 30) == "unrated"


def test_an_optional_choice_of_only_spaces_counts_as_no_answer():
    result = submit_one({"type": "select", "options": ABC}, ["  "])

    assert result.ok
    assert result.values["x"] is None
