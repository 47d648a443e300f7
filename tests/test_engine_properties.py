"""Properties of the flow engine over every example spec and random answers."""

import copy
import dataclasses
import datetime
import math
import re
import string
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formserver.catalog import CLIENT_FILE, load_spec, spec_paths
from formserver.engine import Flow
from formserver.fieldtypes import clean_text, parse_amount
from formserver.logic import holds, variables_in
from formserver.profiling import Known
from formserver.spec import DISQUALIFIED
from formserver.validation import resolve_date

SPECS_ROOT = Path(__file__).parents[1] / "form_specs"
SPECS = [
    load_spec(path)
    for folder in sorted(SPECS_ROOT.iterdir())
    if (folder / CLIENT_FILE).exists()
    for path in spec_paths(folder)
]
NOW = datetime.datetime(2030, 6, 1, 12, 0, tzinfo=datetime.UTC)

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
each_spec = pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.key)

# Typed answers: what a browser (or anything else) may post for one field.

GARBAGE_TEXT = st.text(
    st.one_of(st.characters(), st.sampled_from("\x00\x07\x1b\x7f \t\r\n")),
    max_size=30,
)
WORD = st.text(string.ascii_letters + string.digits + "éßø", min_size=1, max_size=12)
ADDRESS = st.builds(
    "{}@{}".format,
    st.from_regex(r"[a-z][a-z0-9]{0,7}(\.[a-z0-9]{1,5})?", fullmatch=True),
    st.from_regex(r"[a-z]{2,8}\.(com|org|net|co\.uk)", fullmatch=True),
)
EMAIL = st.one_of(ADDRESS, ADDRESS.map(str.upper), ADDRESS.map(" {} ".format))
PHONES = {
    "": ["+44 20 7946 0018", "+1 212 736 5000", "+49 30 901820"],
    "GB": ["020 7946 0018"],
    "US": ["(212) 736-5000"],
}


def one(strategy):
    return strategy.map(lambda value: [value])


@cache
def valid_answer(field):
    """Typed answers that ``field`` accepts."""
    build = VALID[field.type]
    answers = build(field)
    if field.required or field.type == "checkboxes":
        return answers
    return st.one_of(answers, st.just([]), st.just([""]))


def _choice(field):
    return one(st.sampled_from([o.value for o in field.options]))


def _checkboxes(field):
    rules = field.validation
    values = [o.value for o in field.options]
    low = max(rules.get("min_choices", 0), 1 if field.required else 0)
    high = min(rules.get("max_choices", len(values)), len(values))
    return st.lists(st.sampled_from(values), min_size=low, max_size=high, unique=True)


def _number(field):
    rules = field.validation
    low = math.ceil(rules.get("min", 0))
    high = math.floor(rules.get("max", low + 10_000_000))
    suffixes = field.type == "money"
    numbers = st.integers(low, high)
    return one(numbers.flatmap(lambda n: st.sampled_from(_typed(n, suffixes))))


def _typed(number, suffixes):
    ways = [str(number), f"{number:,}", f" {number} "]
    if suffixes and number and number % 1000 == 0:
        ways.append(f"{number // 1000}k")
    if suffixes and number and number % 1_000_000 == 0:
        ways.append(f"{number // 1_000_000}M")
    return ways


def _text(field):
    rules = field.validation
    if "pattern" in rules:
        text = st.from_regex(rules["pattern"], fullmatch=True)
        text = text.filter(lambda t: clean_text(t) == t and t)
        if re.fullmatch(rules["pattern"], field.placeholder):
            # The placeholder is the spec's own example of a good answer.
            text = st.one_of(st.just(field.placeholder), text)
        return one(text)
    low = max(rules.get("min_length", 0), 1 if field.required else 0)
    high = min(rules.get("max_length", 40), 40)
    words = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
    return one(words.filter(lambda t: low <= len(t) <= high))


def _date(field):
    rules = field.validation
    low = resolve_date(rules.get("min_date")) or datetime.date(1990, 1, 1)
    high = resolve_date(rules.get("max_date")) or low + datetime.timedelta(days=9000)
    return one(st.dates(low, high).map(datetime.date.isoformat))


def _phone(field):
    return one(st.sampled_from(PHONES[""] + PHONES.get(field.region, [])))


VALID = {
    "text": _text,
    "textarea": _text,
    "email": lambda field: one(EMAIL),
    "phone": _phone,
    "number": _number,
    "money": _number,
    "select": _choice,
    "radio": _choice,
    "checkboxes": _checkboxes,
    "date": _date,
    "consent": lambda field: st.just(["y"]),
}
GARBAGE = st.one_of(
    st.lists(GARBAGE_TEXT, max_size=3),
    one(st.integers().map(str)),
    one(st.floats().map(str)),
    one(st.sampled_from(["false", "no", "0", "2.5m", "-", "1e9", "a" * 2500])),
)


@st.composite
def step_answers(draw, fields, valid):
    """Formdata for ``fields``: all valid, or each field valid, garbage or absent."""
    formdata = {}
    for field in fields:
        mode = "valid" if valid else draw(st.sampled_from(["valid", "bad", "none"]))
        if mode == "valid":
            formdata[field.id] = draw(valid_answer(field))
        elif mode == "bad":
            formdata[field.id] = draw(GARBAGE)
    return formdata


# Profiles and captured values


@cache
def stored_value(field):
    if field.type == "checkboxes":
        return valid_answer(field)
    if field.type == "consent":
        return st.just(True)
    typed = valid_answer(field).map(lambda t: t[0] if t else None)
    if field.type in ("number", "money"):
        return typed.map(lambda t: parse_amount(t, suffixes=True) if t else None)
    return typed


@st.composite
def profiles(draw, spec):
    """What a returning lead's profile may know, fresh or stale, sound or not."""
    fields = [f for f in spec.fields_by_id.values() if f.type != "hidden"]
    chosen = draw(st.lists(st.sampled_from(fields), unique=True, max_size=8))
    profile = {}
    for field in chosen:
        value = draw(st.one_of(stored_value(field), ODD_VALUES))
        days = draw(st.one_of(st.none(), st.integers(0, 400)))
        learned = None if days is None else NOW - datetime.timedelta(days=days)
        profile[field.profile_key] = Known(value, learned)
    return profile


ODD_VALUES = st.sampled_from([None, "", [], 0, "junk"])


def captures(spec):
    hidden = [f.id for f in spec.fields_by_id.values() if f.type == "hidden"]
    keys = st.sampled_from([*spec.capture, *hidden, "not_captured"])
    return st.dictionaries(keys, GARBAGE_TEXT, max_size=4)


# Walks


@dataclasses.dataclass
class Walk:
    """Answers stored as a prospect went, and the Flow after each change."""

    spec: object
    profile: dict
    captured: dict
    answers: dict = dataclasses.field(default_factory=dict)
    flows: list = dataclasses.field(default_factory=list)
    submissions: int = 0
    rejected: list = dataclasses.field(default_factory=list)

    def flow(self, answers=None):
        answers = self.answers if answers is None else answers
        return Flow(
            self.spec, copy.deepcopy(answers), self.profile, self.captured, now=NOW
        )

    def latest(self):
        """The Flow for the answers stored so far, built once per change."""
        if not self.flows or self.flows[-1].answers != self.answers:
            self.flows.append(self.flow())
        return self.flows[-1]

    def submit(self, flow, step_id, formdata):
        result = flow.submit(step_id, formdata)
        self.submissions += 1
        if result.ok:
            self.answers[step_id] = result.values
        else:
            self.rejected.append((step_id, formdata, result.errors))


@st.composite
def valid_walks(draw, spec):
    """A prospect answering every step validly until the form is complete."""
    walk = Walk(spec, draw(profiles(spec)), draw(captures(spec)))
    for _ in range(len(spec.steps) + 1):
        flow = walk.latest()
        if flow.complete or flow.looped:
            break
        formdata = draw(step_answers(flow.fields_to_ask(flow.current), valid=True))
        walk.submit(flow, flow.current.id, formdata)
    return walk


@st.composite
def walks(draw, spec):
    """A prospect answering well or badly, and sometimes going back a step."""
    walk = Walk(spec, draw(profiles(spec)), draw(captures(spec)))
    for _ in range(draw(st.integers(1, len(spec.steps) + 2))):
        flow = walk.latest()
        if flow.looped:
            break
        going_back = flow.path and (flow.complete or draw(st.integers(0, 3)) == 0)
        step_id = draw(st.sampled_from(flow.path)) if going_back else flow.current.id
        shown = flow.fields_to_ask(spec.steps_by_id[step_id])
        formdata = draw(step_answers(shown, valid=draw(st.integers(0, 2)) > 0))
        walk.submit(flow, step_id, formdata)
    walk.latest()
    return walk


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | GARBAGE_TEXT,
    lambda children: st.lists(children, max_size=3),
    max_leaves=5,
)

# Properties


@each_spec
@PROPERTY
@given(data=st.data())
def test_answering_every_step_validly_completes_within_one_submission_a_step(
    spec, data
):
    walk = data.draw(valid_walks(spec))

    assert walk.rejected == []
    assert walk.latest().complete
    assert walk.submissions <= len(spec.steps)


@each_spec
@PROPERTY
@given(data=st.data())
def test_hidden_fields_and_fields_whose_condition_failed_before_the_step_are_not_asked(
    spec, data
):
    walk = data.draw(walks(spec))

    for flow in walk.flows:
        reached = flow.path + ([flow.current.id] if flow.current else [])
        for step_id in reached:
            before = flow.data_before(step_id)
            asked = flow.fields_to_ask(spec.steps_by_id[step_id])
            asked_ids = {f.id for f in asked}
            for field in asked:
                decided_before = not variables_in(field.visible_if) & asked_ids
                assert field.type != "hidden"
                assert not decided_before or holds(field.visible_if, before)


@each_spec
@PROPERTY
@given(data=st.data())
def test_same_answers_give_the_same_tag(spec, data):
    walk = data.draw(walks(spec))
    reordered = {k: dict(walk.answers[k]) for k in reversed(list(walk.answers))}
    again = Flow(
        spec,
        copy.deepcopy(reordered),
        dict(walk.profile),
        dict(walk.captured),
        now=NOW,
    )

    assert again.tag().as_dict() == walk.latest().tag().as_dict()
    assert again.collected() == walk.latest().collected()


@each_spec
@PROPERTY
@given(data=st.data())
def test_answers_stored_for_steps_off_the_path_never_change_the_tag(spec, data):
    walk = data.draw(walks(spec))
    flow = walk.latest()
    reached = set(flow.path) | ({flow.current.id} if flow.current else set())
    off_path = [s.id for s in spec.steps if s.id not in reached] + ["no-such-step"]
    fieldids = st.sampled_from([*spec.fields_by_id, "segment", "junk"])
    junk = data.draw(
        st.dictionaries(
            st.sampled_from(off_path),
            st.dictionaries(fieldids, JSON_VALUES, max_size=4),
            min_size=1,
        )
    )

    with_junk = walk.flow({**walk.answers, **junk})

    assert with_junk.path == flow.path
    assert with_junk.tag().as_dict() == flow.tag().as_dict()
    assert with_junk.collected() == flow.collected()


@each_spec
@PROPERTY
@given(data=st.data())
def test_reasons_add_up_to_the_score_and_the_tier_is_a_band_of_the_segment(spec, data):
    walk = data.draw(walks(spec))

    for flow in walk.flows:
        tag = flow.tag()
        segment = spec.segment(tag.segment)
        bands = {band.tier for band in spec.tiers_for(segment)} or {"unrated"}
        knocked_out = any(reason.knockout for reason in tag.reasons)

        assert sum(r.points for r in tag.reasons) == pytest.approx(tag.score)
        assert all(r.points == 0 for r in tag.reasons if r.knockout)
        assert tag.tier in bands | {DISQUALIFIED}
        assert (tag.tier == DISQUALIFIED) is knocked_out
        assert tag.route == spec.route_for(segment, tag.tier)
