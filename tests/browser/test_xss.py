"""Hostile text in specs and answers shows as text, and never runs, in Chromium.

Each payload of an XSS corpus gets a client of its own whose name, form title,
description, step titles and intros, field labels, help and placeholders,
option labels and values, consent text, segment label, scoring and knock-out
reasons and thank-you texts are all that payload, with a route redirect that
tries to break out of its attribute. A second, broken spec of each client
echoes the payload in its problems. The production server serves them with
the marketer preview open; a prospect then types the payload into every
answer and into the landing URL's UTM parameters.

Every page (each step, the error summary, the error pages, the thank-you
pages, the welcome back, the preview, the API's JSON) is rendered with the
page's Content-Security-Policy bypassed, so that escaping alone is tested:
no dialog may open, no element may carry an event handler, a javascript: URL
or an inline script, and the payload must read back as the exact text. The
CSV exports must neutralise every cell a spreadsheet would run.
"""

import csv
import io
import json
from urllib.parse import quote, urlencode

import pytest
from click.testing import CliRunner

from formserver.cli import main
from formserver.storage import Storage

from .conftest import LiveServer

MARKETER_KEY = "marketer-key-for-the-xss-corpus"
REDIRECT = 'https://x"><script>alert(1)</script>'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "</textarea><svg onload=alert(1)>",
    "{{7*7}}",
    "'-alert(1)-'",
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "</script><script>alert(1)</script>",
    "<a href=javascript:alert(1)>link</a>",
    "${alert(1)}<style>*{display:none}</style>",
    '=HYPERLINK("https://evil.example","x")',
]
# Typed into the reference field; each must leave the CSV exports neutralised.
FORMULAS = {"warm": "+SUM(1,2)", "hot": "-2+3+cmd|' /C calc'!A0"}
NICKNAME_FORMULA = "@SUM(1+1)"
CLIENT_OF = {payload: f"xss-{index}" for index, payload in enumerate(PAYLOADS)}
EACH_PAYLOAD = pytest.mark.parametrize(
    "payload", PAYLOADS, ids=[CLIENT_OF[p] for p in PAYLOADS]
)

# Run in the page after every load: what an injection would have left.
FIND_INJECTIONS = """() => {
  const found = [];
  for (const element of document.querySelectorAll("*")) {
    const tag = element.tagName.toLowerCase();
    if (["iframe", "object", "embed", "frame"].includes(tag)) found.push(tag);
    if (tag === "script" && !element.src) found.push("inline script");
    if (tag === "style") found.push("style element");
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on")) found.push(`${tag} ${name}`);
      if (["href", "src", "action", "formaction", "srcdoc", "xlink:href"]
            .includes(name) && /^\\s*javascript:/i.test(attribute.value)) {
        found.push(`${tag} ${name}=${attribute.value}`);
      }
    }
  }
  return found;
}"""


def hostile_spec(payload):
    """A spec whose every text, option and reason is ``payload``."""
    text = {"label": payload, "help": payload}
    return {
        "title": payload,
        "description": payload,
        "steps": [
            {
                "id": "about",
                "title": payload,
                "intro": payload,
                "fields": [
                    {
                        "id": "kind",
                        "type": "radio",
                        **text,
                        "required": True,
                        "ask_once": True,
                        "options": [
                            {"value": payload, "label": payload},
                            {"value": "plain", "label": f"Plain {payload}"},
                        ],
                    },
                    {
                        "id": "colour",
                        "type": "select",
                        **text,
                        "options": [
                            {"value": "blue", "label": "Blue"},
                            {"value": payload, "label": payload},
                        ],
                    },
                    {
                        "id": "extras",
                        "type": "checkboxes",
                        **text,
                        "options": [
                            {"value": payload, "label": payload},
                            {"value": "none", "label": f"None {payload}"},
                        ],
                    },
                    {
                        "id": "nick",
                        "type": "text",
                        **text,
                        "placeholder": payload,
                        "visible_if": {"==": [{"var": "kind"}, payload]},
                    },
                    {
                        "id": "note",
                        "type": "textarea",
                        **text,
                        "placeholder": payload,
                    },
                ],
            },
            {
                "id": "contact",
                "title": payload,
                "intro": payload,
                "end": True,
                "fields": [
                    {
                        "id": "full_name",
                        "type": "text",
                        **text,
                        "placeholder": payload,
                        "required": True,
                        "ask_once": True,
                    },
                    {
                        "id": "email",
                        "type": "email",
                        **text,
                        "placeholder": payload,
                        "required": True,
                    },
                    {"id": "reference", "type": "text", **text},
                    {
                        "id": "consent",
                        "type": "consent",
                        "label": payload,
                        "consent_text": f"{payload} (in full)",
                        "required": True,
                    },
                ],
            },
        ],
        "segments": [
            {
                "id": "chosen",
                "label": payload,
                "when": {"==": [{"var": "kind"}, payload]},
                "scoring": [
                    {
                        "id": "chosen-kind",
                        "when": {"==": [{"var": "kind"}, payload]},
                        "points": 50,
                        "reason": payload,
                    }
                ],
            },
            {"id": "others", "label": f"Others {payload}"},
        ],
        "qualification": {
            "scoring": [
                {
                    "id": "noted",
                    "when": {"!!": [{"var": "note"}]},
                    "points": 10,
                    "reason": f"{payload} noted",
                }
            ],
            "knockouts": [
                {
                    "id": "colour-out",
                    "when": {"==": [{"var": "colour"}, payload]},
                    "reason": payload,
                }
            ],
            "tiers": [{"tier": "hot", "from": 50}, {"tier": "warm", "to": 50}],
            "routes": {
                "hot": {"track": "desk", "thank_you": payload, "redirect": REDIRECT},
                "warm": {"track": "nurture", "thank_you": payload},
                "disqualified": {"track": "decline", "thank_you": payload},
            },
        },
    }


def broken_spec(payload):
    """A spec the schema refuses, its problems quoting ``payload``."""
    spec = hostile_spec(payload)
    spec["steps"][0]["id"] = payload
    spec["steps"][0]["fields"][0]["type"] = payload
    return spec


@pytest.fixture(scope="module")
def hostile_specs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile_specs")
    for payload, client in CLIENT_OF.items():
        (folder / client).mkdir()
        client_file = {"name": payload, "embed_origins": ["http://127.0.0.1:*"]}
        (folder / client / "client.json").write_text(json.dumps(client_file))
        (folder / client / "hostile.json").write_text(json.dumps(hostile_spec(payload)))
        (folder / client / "broken.json").write_text(json.dumps(broken_spec(payload)))
    return folder


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, hostile_specs):
    """The production server on the hostile specs, with the preview open."""
    server = LiveServer(
        tmp_path_factory.mktemp("xss_server"),
        specs=hostile_specs,
        env={"FORMSERVER_MARKETER_TOKEN": MARKETER_KEY},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Visit:
    """A browsing session that fails on any dialog or injected element."""

    def __init__(self, browser):
        # With the policy bypassed, only escaping stands between a payload
        # and the page.
        self.context = browser.new_context(bypass_csp=True)
        self.page = self.context.new_page()
        self.dialogs = []
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message} on {self.page.url}")
        dialog.dismiss()

    def goto(self, url, where):
        response = self.page.goto(url)
        self.settle(where)
        return response

    def submit(self, where, button="button.fs-next"):
        with self.page.expect_navigation():
            self.page.click(button)
        self.settle(where)

    def settle(self, where):
        injected = self.page.evaluate(FIND_INJECTIONS)
        assert not injected, f"{where}: injected {injected}"
        assert not self.dialogs, f"{where}: {self.dialogs}"

    def text(self, selector):
        return self.page.locator(selector).first.text_content()

    def attribute(self, selector, name, index=0):
        return self.page.locator(selector).nth(index).get_attribute(name)

    def close(self):
        self.context.close()
        assert not self.dialogs, self.dialogs


@pytest.fixture
def visits(browser):
    """Opens browsing sessions of their own; each is checked as it closes."""
    opened = []

    def open_visit():
        opened.append(Visit(browser))
        return opened[-1]

    yield open_visit
    for found in opened:
        found.close()


@pytest.fixture
def visit(visits):
    return visits()


def assert_step_texts(visit, payload):
    """The spec's texts read back exactly: escaped, neither run nor dropped."""
    assert visit.text("h1.fs-title") == payload
    assert visit.text("h2.fs-step-title") == payload
    assert visit.text("p.fs-intro") == payload
    assert visit.text("p.fs-client") == payload
    assert payload in visit.page.title()
    for selector in ("p.fs-help", "legend", "label.fs-label", ".fs-choice label"):
        texts = visit.page.locator(selector).all_text_contents()
        assert all(payload in text for text in texts), (selector, texts)


def assert_about_step(visit, payload):
    assert_step_texts(visit, payload)
    assert visit.page.locator("legend").count() == 2
    assert visit.page.locator(".fs-choice label").count() == 4
    assert visit.attribute('input[name="kind"]', "value") == payload
    assert visit.attribute('input[name="extras"]', "value") == payload
    assert visit.attribute('select[name="colour"] option', "value", 2) == payload
    assert visit.attribute('textarea[name="note"]', "placeholder") == payload
    assert visit.attribute('input[name="nick"]', "placeholder") == payload
    rule = json.loads(visit.attribute("[data-visible-if]", "data-visible-if"))
    assert rule == {"==": [{"var": "kind"}, payload]}


def email_of(payload, tier):
    """An address starting as a spreadsheet formula would."""
    index = PAYLOADS.index(payload)
    return f"{'=+-'[index % 3]}{tier}{index}@example.com"


def answer_about(visit, payload, kind_index):
    page = visit.page
    page.locator('input[name="kind"]').nth(kind_index).check()
    page.locator('input[name="extras"]').first.check()
    page.select_option('select[name="colour"]', "blue")
    page.fill('textarea[name="note"]', payload)
    if kind_index == 0:
        page.fill('input[name="nick"]', NICKNAME_FORMULA)


def answer_contact(visit, payload, email, tier):
    page = visit.page
    page.fill('input[name="full_name"]', payload)
    page.fill('input[name="email"]', email)
    page.fill('input[name="reference"]', FORMULAS[tier])
    page.check('input[name="consent"]')


@EACH_PAYLOAD
def test_every_prospect_page_shows_hostile_texts_and_answers_as_text(
    visit, visits, base_url, payload
):
    form = f"{base_url}/f/{CLIENT_OF[payload]}/hostile"
    landing = {name: payload for name in ("utm_source", "utm_campaign", "referrer")}

    visit.goto(f"{form}?{urlencode(landing)}", "first step")
    assert_about_step(visit, payload)

    visit.submit("first step, nothing answered")
    assert visit.page.locator("#fs-errors").count() == 1
    assert_about_step(visit, payload)

    answer_about(visit, payload, kind_index=1)
    visit.submit("contact step")
    assert_step_texts(visit, payload)
    assert visit.text("p.fs-consent-text") == f"{payload} (in full)"

    answer_contact(visit, payload, email=payload, tier="warm")
    visit.submit("contact step, the payload as email")
    summary = visit.text("#fs-errors")
    assert f"“{payload}” does not look like an email address" in summary
    assert visit.attribute('input[name="email"]', "value") == payload
    assert visit.attribute('input[name="full_name"]', "value") == payload

    answer_contact(visit, payload, email=email_of(payload, "warm"), tier="warm")
    visit.submit("thank-you page")
    assert visit.text("p.fs-thanks") == payload
    assert visit.page.locator("a.fs-next").count() == 0

    visit.goto(form, "welcome back")
    known = visit.page.locator(".fs-known dd").all_text_contents()
    assert payload in known and f"Plain {payload}" in known

    second_visit = visits()
    second_visit.goto(f"{form}?{urlencode({'host': base_url})}", "embedded form")
    answer_about(second_visit, payload, kind_index=0)
    second_visit.submit("embedded contact step")
    answer_contact(second_visit, payload, email=email_of(payload, "hot"), tier="hot")
    second_visit.submit("embedded thank-you page")
    assert second_visit.text("p.fs-thanks") == payload
    assert second_visit.attribute("a.fs-next", "href") == REDIRECT
    told = json.loads(second_visit.attribute("main", "data-event"))
    assert told["redirect"] == REDIRECT and told["tier"] == "hot"


@EACH_PAYLOAD
def test_error_pages_show_hostile_addresses_as_text(visit, base_url, payload):
    form = f"{base_url}/f/{CLIENT_OF[payload]}/hostile"
    garbage = {name: payload for name in ("host", "lead", "step", "test", "fresh")}

    response = visit.goto(f"{form}?t={quote(payload)}", "bad token page")
    assert response.status == 400
    assert visit.text("h1.fs-title") == "Please start again"

    response = visit.goto(f"{base_url}/f/{quote(payload, safe='')}/x", "404 page")
    assert response.status == 404

    response = visit.goto(f"{form}?{urlencode(garbage)}", "garbage parameters")
    assert response.status == 200
    assert_about_step(visit, payload)

    response = visit.goto(f"{base_url}/f/{CLIENT_OF[payload]}/broken", "broken form")
    assert response.status == 404


@EACH_PAYLOAD
def test_the_preview_shows_hostile_specs_and_answers_as_text(visit, base_url, payload):
    client = CLIENT_OF[payload]
    answers = {
        "key": MARKETER_KEY,
        "kind": payload,
        "colour": "blue",
        "extras": payload,
        "nick": payload,
        "note": payload,
        "full_name": payload,
        "email": payload,
        "profile.full_name": payload,
        "profile.kind": payload,
    }

    visit.goto(f"{base_url}/preview/?key={MARKETER_KEY}", "preview index")
    assert visit.page.locator(f'a[href*="/{client}/hostile"]').count() == 1

    response = visit.goto(
        f"{base_url}/preview/{client}/hostile?{urlencode(answers)}", "preview"
    )
    assert response.status == 200
    assert visit.text("h1.fs-title") == payload
    assert visit.text("#segment") == "chosen"
    reasons = visit.page.locator(".fs-outcome li").all_text_contents()
    assert f"{payload} (+50)" in reasons
    assert visit.attribute("#a-note", "value") == payload
    assert visit.attribute("#p-full_name", "value") == payload
    assert payload in visit.text(".fs-checks")
    assert payload in visit.text(".fs-graph svg")

    response = visit.goto(
        f"{base_url}/preview/{client}/broken?key={MARKETER_KEY}", "broken preview"
    )
    assert response.status == 422
    # A problem quotes the value as JSON, cut short.
    assert json.dumps(payload)[:30] in visit.text(".fs-problems")

    visit.goto(f"{base_url}/preview/{client}/hostile?key={MARKETER_KEY}", "preview")
    visit.submit("test run of the form", button="text=Try it as a prospect")
    assert_about_step(visit, payload)


def cells_of(text):
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_neutralised(text, payload):
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2, text
    for cell in cells_of(text):
        assert not cell.startswith(FORMULA_STARTS), cell
    expected = "'" + payload if payload.startswith(FORMULA_STARTS) else payload
    assert {row["full_name"] for row in rows} == {expected}
    assert {row["reference"] for row in rows} == {"'" + f for f in FORMULAS.values()}
    assert {row["nick"] for row in rows} == {"", "'" + NICKNAME_FORMULA}
    for row in rows:
        assert row["email"].startswith("'") and row["email"][1] in "=+-"


def make_hostile_leads(visits, base_url, payload):
    """The warm and the hot lead of ``payload``'s client, each sent by a prospect.

    Their emails are the ones the prospect test types, so the client has the
    same two leads whether that test ran first or not at all.
    """
    form = f"{base_url}/f/{CLIENT_OF[payload]}/hostile"
    # The hot route's redirect is hostile too: embedded, the frame stays put.
    for tier, kind_index, query in (
        ("warm", 1, ""),
        ("hot", 0, f"?{urlencode({'host': base_url})}"),
    ):
        prospect = visits()
        prospect.goto(form + query, f"{tier} lead: first step")
        answer_about(prospect, payload, kind_index)
        prospect.submit(f"{tier} lead: contact step")
        answer_contact(prospect, payload, email_of(payload, tier), tier)
        prospect.submit(f"{tier} lead: thank-you page")
        assert prospect.text("p.fs-thanks") == payload


@EACH_PAYLOAD
def test_the_api_and_exports_keep_hostile_answers_inert(
    visit, visits, base_url, live_server, payload
):
    client = CLIENT_OF[payload]
    make_hostile_leads(visits, base_url, payload)
    storage = Storage(live_server.db)
    try:
        token = storage.create_api_token(client, "xss corpus")
    finally:
        storage.close()
    auth = {"Authorization": f"Bearer {token}"}
    request = visit.page.request

    listing = request.get(f"{base_url}/api/v1/leads", headers=auth)
    assert listing.status == 200
    assert listing.headers["content-type"].startswith("application/json")
    assert listing.headers["x-content-type-options"] == "nosniff"
    leads = listing.json()["leads"]
    assert len(leads) == 2
    assert {lead["profile"]["full_name"] for lead in leads} == {payload}

    detail = request.get(f"{base_url}/api/v1/leads/{leads[0]['id']}", headers=auth)
    assert detail.headers["content-type"].startswith("application/json")
    assert detail.headers["x-content-type-options"] == "nosniff"
    assert detail.json()["lead"]["submissions"]

    visit.context.set_extra_http_headers(auth)
    visit.goto(f"{base_url}/api/v1/leads", "API listing in the browser")
    assert json.loads(visit.text("body"))["leads"] == leads

    exported = request.get(f"{base_url}/api/v1/leads/export?format=csv", headers=auth)
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["x-content-type-options"] == "nosniff"
    assert_neutralised(exported.text(), payload)

    lines = request.get(
        f"{base_url}/api/v1/leads/export?format=jsonl", headers=auth
    ).text()
    records = [json.loads(line) for line in lines.splitlines()]
    assert {r["profile"]["full_name"] for r in records} == {payload}

    result = CliRunner().invoke(
        main,
        ["export", "--client", client, "--db", str(live_server.db)]
        + ["--specs", str(live_server.specs)],
    )
    assert result.exit_code == 0, result.output
    assert_neutralised(result.stdout, payload)


def test_formserver_check_reads_the_hostile_specs_without_a_traceback(
    hostile_specs,
):
    hostile = [str(hostile_specs / c / "hostile.json") for c in CLIENT_OF.values()]

    result = CliRunner().invoke(main, ["check", *hostile])
    everything = CliRunner().invoke(
        main, ["check", "--format", "json", str(hostile_specs)]
    )

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    problems = json.loads(everything.stdout)
    assert everything.exit_code == 1
    broken = {p["file"] for p in problems if p["severity"] == "error"}
    assert broken == {
        str(hostile_specs / c / "broken.json") for c in CLIENT_OF.values()
    }
    assert "Traceback" not in everything.output
