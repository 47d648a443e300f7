"""A prospect in Chromium: opens a form and answers its steps through the UI.

Also reads the example forms and their scenario files, so that tests can be
parametrized over them at collection time, and the database the live server
writes, so that tests can check what was stored.
"""

import json
import re
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Error as PlaywrightError

from formserver.catalog import TESTS_SUFFIX, load_spec
from formserver.scenarios import load_scenarios, play

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SPECS = ROOT / "form_specs"
MAX_STEPS = 12
SEND = re.compile(r"^(Continue|Send)$")
ERROR_PAGE = "chrome-error://chromewebdata/"


def example_forms():
    """(client, form, spec) for every example spec that has scenarios."""
    found = []
    for tests in sorted(EXAMPLE_SPECS.glob(f"*/*{TESTS_SUFFIX}")):
        spec_path = tests.with_name(tests.name.removesuffix(TESTS_SUFFIX) + ".json")
        spec = load_spec(spec_path)
        found.append((spec.client, spec.form, spec))
    return found


def example_scenarios():
    """(client, form, scenario) for every scenario of every example form.

    Each scenario gets ``expected``: the path, segment, tier, score, route,
    redirect and reasons its run must store. The scenario's own ``expect``
    wins; what it leaves out comes from playing it through the engine
    in-process. A scenario with a known ``profile`` also gets ``first_visit``:
    the answers of an earlier visit that teaches the server that profile.
    """
    found = []
    for client, form, spec in example_forms():
        path = EXAMPLE_SPECS / client / f"{form}{TESTS_SUFFIX}"
        for scenario in load_scenarios(path):
            outcome = play(spec, scenario)
            assert outcome.tag is not None, f"{scenario['name']} does not complete"
            route = outcome.tag["route"]
            played = {
                "path": outcome.path,
                "segment": outcome.tag["segment"],
                "tier": outcome.tag["tier"],
                "score": outcome.tag["score"],
                "route": route["track"],
                "redirect": route.get("redirect"),
                "reasons": outcome.tag["reasons"],
            }
            expected = {**played, **scenario.get("expect", {})}
            expected["reasons"] = sorted(
                r if isinstance(r, str) else r["rule"] for r in expected["reasons"]
            )
            extra = {"expected": expected}
            if scenario.get("profile"):
                extra["first_visit"] = first_visit(spec, scenario)
                extra["known_fields"] = known_fields(spec, scenario)
            found.append((client, form, {**scenario, **extra}))
    return found


def segment_paths():
    """(client, form, segment, scenario): one scenario per segment of each form.

    Each is the segment's scenario with the longest path, preferring one that
    ends on a thank-you page rather than a redirect away, so that walking it
    shows every step page of the segment and the thank-you page too.
    """
    chosen = {}
    for client, form, scenario in example_scenarios():
        expected = scenario["expected"]
        key = (client, form, expected["segment"])
        rank = (not expected["redirect"], len(expected["path"]))
        if key not in chosen or rank > chosen[key][0]:
            chosen[key] = (rank, scenario)
    return [(*key, scenario) for key, (_, scenario) in chosen.items()]


def with_own_email(answers, tag):
    """``answers`` with the email made unique by ``tag`` (``ann+tag@…``).

    The server matches a typed email to a known lead, so runs that share an
    email would share a lead and its profile; each run gets its own instead.
    """
    if "email" not in answers:
        return answers
    local, domain = answers["email"].split("@")
    return {**answers, "email": f"{local}+{tag}@{domain}"}


def fresh_answers(scenario):
    """Answers that walk the scenario's path as a new prospect, with a new email."""
    answers = scenario.get("first_visit", scenario["answers"])
    return with_own_email(answers, uuid.uuid4().hex)


def first_visit(spec, scenario):
    """Answers for a visit that leaves the scenario's profile known."""
    return {**scenario.get("answers", {}), **_by_field(spec, scenario["profile"])}


def known_fields(spec, scenario):
    """The ids of the fields the scenario's profile answers."""
    return set(_by_field(spec, scenario["profile"]))


def _by_field(spec, profile):
    field_of_key = {f.profile_key: f.id for f in spec.fields_by_id.values()}
    return {field_of_key[key]: value for key, value in profile.items()}


class Prospect:
    """Drives one page through a form the way a person would."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.shown = []
        self.sent_away = None
        page.on("request", self._note_navigation)

    def _note_navigation(self, request):
        # Playwright cannot route the hop of a redirect, so the calendar link
        # of a hot route is not stubbed: the browser really goes there, its
        # host fails to resolve (see CHROMIUM_ARGS), and the URL is kept.
        url = request.url
        if request.is_navigation_request() and not url.startswith(self.base_url):
            self.sent_away = url

    def start(self, client, form, **query):
        url = f"{self.base_url}/f/{client}/{form}"
        if query:
            url += "?" + urlencode(query)
        self.shown = []
        self.sent_away = None
        response = self.page.goto(url)
        assert response.status == 200, f"{url} answered {response.status}"
        return response

    @property
    def step(self):
        """The id of the step on the page, or None when there is none."""
        form = self.page.locator("form.fs-form")
        return form.get_attribute("data-step") if form.count() else None

    def fill(self, answers):
        """Answer the shown fields of this step that ``answers`` has values for.

        The fields shown when the step opened are added to ``shown``.
        """
        fields = self.page.locator(".fs-field").evaluate_all(
            "all => all.map(w => [w.id.slice(2), w.dataset.type, !w.hidden])"
        )
        self.shown += [field_id for field_id, _, visible in fields if visible]
        for field_id, kind, _ in fields:
            # Visibility is asked again: an earlier answer may have changed it.
            wrapper = self.page.locator(f"#w-{field_id}")
            if field_id in answers and wrapper.is_visible():
                self._answer(field_id, kind, answers[field_id])

    def _answer(self, field_id, kind, value):
        control = self.page.locator(f"#f-{field_id}")
        if kind == "radio":
            control.locator(f'input[value="{value}"]').check()
        elif kind == "checkboxes":
            wanted = {str(v) for v in value}
            for box in control.locator("input[type=checkbox]").all():
                box.set_checked(box.get_attribute("value") in wanted)
        elif kind == "consent":
            control.set_checked(bool(value))
        elif kind == "select":
            control.select_option(value=str(value))
        else:
            control.fill(str(value))

    def press(self, name):
        """Click the button called ``name`` and wait for the page it leads to.

        Returns the response, or None when the server sent the browser away.
        """
        try:
            with self.page.expect_navigation() as navigation:
                self.page.get_by_role("button", name=name).click()
        except PlaywrightError:
            if self.sent_away is None:
                raise
            # Let Chromium's error page commit, or it cuts off the next goto.
            self.page.wait_for_url(ERROR_PAGE)
            return None
        return navigation.value

    def send(self):
        """Click Continue (or Send on the last step), as :meth:`press` does."""
        return self.press(SEND)

    def complete(self, answers, until=None, on_step=None):
        """Answer every step until the thank-you page or a redirect away.

        With ``until``, stop on that step without answering it. ``on_step`` is
        called on each step page before it is answered. Returns the ids of the
        steps answered, in order.
        """
        answered = []
        for _ in range(MAX_STEPS):
            if self.finished:
                assert until is None, f"finished before step {until!r}: {answered}"
                return answered
            step = self.step
            assert step, f"expected a step page, got:\n{self.page.content()[:2000]}"
            if step == until:
                return answered
            if on_step:
                on_step(step)
            self.fill(answers)
            response = self.send()
            failed = response is not None and response.status == 422
            assert not failed, f"step {step!r}: {self.errors()}"
            answered.append(step)
        raise AssertionError(f"not finished after {MAX_STEPS} steps: {answered}")

    @property
    def finished(self):
        """On the thank-you page, or sent away to a route's redirect URL."""
        if self.sent_away is not None:
            return True
        return self.page.locator(".fs-thanks").count() > 0

    def errors(self):
        """The messages of the error summary, if the page shows one."""
        return self.page.locator("#fs-errors li").all_inner_texts()


def read_only(db):
    """A read-only connection to the live server's database."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    return connection


def submissions_of_campaign(db, client, form, campaign):
    """The stored submissions of ``client/form`` whose utm_campaign is ``campaign``."""
    with closing(read_only(db)) as connection:
        rows = connection.execute(
            "SELECT * FROM submissions WHERE client = ? AND form = ?"
            " AND json_extract(captured, '$.utm_campaign') = ?",
            [client, form, campaign],
        ).fetchall()
    decoded = []
    for row in rows:
        submission = dict(row)
        for column in ("answers", "path", "tag", "captured"):
            submission[column] = json.loads(submission[column])
        decoded.append(submission)
    return decoded
