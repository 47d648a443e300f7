"""No answer, email, phone number, name or token ever reaches a log line.

A whole day of traffic runs with every ``formserver`` logger at DEBUG: three
forms completed, a validation error, a bad token, a return visit through a
lead link, API calls with a good and a bad token, an outcome, and webhook
deliveries to a local receiver (one refused, then retried). One form is also
completed against the production server, whose log file is read whole.
Every secret seen on the way is then looked for in every log line.
"""

import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

from formserver.cli import main
from formserver.scenarios import load_scenarios

from .browser.conftest import LiveServer
from .conftest import EXAMPLE_SPECS, SECRET, step_of, token_of
from .webhooks import SECRET as HOOK_SECRET

TOKEN_IN_URL = re.compile(r"[?&](?:t|lead)=([^&\s]+)")
ACME = "acme-realty/property-enquiry"
FORM = f"/f/{ACME}"
CONTACT_FIELDS = ("full_name", "email", "phone", "company", "consent")

# Answers no log template could contain by chance.
PEOPLE = {
    ACME: {
        "role": "investor",
        "ticket_size": "3.75m",
        "asset_classes": ["office"],
        "markets": "london",
        "full_name": "Quentin Zarathustra-Vellacott",
        "email": "Quentin.ZV7731@Example.org",
        "phone": "+44 20 7946 0321",
        "company": "Vellacott Holdings Unlimited",
        "consent": True,
    },
    "brightside-home/quote-request": {
        "full_name": "Philippa Ormsby-Quarrendon",
        "email": "p.ormsby.q4410@example.net",
        "phone": "07712 345678",
        "landlord_name": "Quarrendon Lettings Syndicate",
    },
    "northwind-software/demo-request": {
        "full_name": "Ignatius Beauregard-Thistlewood",
        "email": "ignatius.bt5521@example.com",
        "phone": "+1 212 555 0187",
        "company": "Thistlewood Analytics Consortium",
        "demo_notes": "Our warehouse is called Peregrine-Okapi-4471.",
    },
}
STORED_FORMS = ["3750000", "quentin.zv7731@example.org", "+442079460321"]
STORED_FORMS += ["+447712345678", "+12125550187", "2079460321", "7712345678"]
REJECTED = "about-four-million-0xDEADBEEF"
# Choices are the spec's own words, which a log may name; these are the person's.
TYPED_FREELY = {"full_name", "email", "phone", "company", "landlord_name"}
TYPED_FREELY |= {"demo_notes", "ticket_size"}


def answers_for(form):
    """The first scenario's answers of ``form``, with the people above."""
    client, form_id = form.split("/")
    path = EXAMPLE_SPECS / client / f"{form_id}.tests.json"
    answers = dict(load_scenarios(path)[0]["answers"])
    answers.update(PEOPLE[form])
    return answers


def typed(value):
    if value is True:
        return "y"
    return value


class Secrets:
    """Everything that must never be logged, collected as the test goes."""

    def __init__(self):
        self.found = {SECRET, HOOK_SECRET, HOOK_SECRET.removeprefix("whsec_")}
        self.found |= set(STORED_FORMS) | {REJECTED}
        for answers in PEOPLE.values():
            for name, value in answers.items():
                if name in TYPED_FREELY:
                    self.found |= {value, value.lower()}

    def add(self, *values):
        self.found |= {v for v in values if v}

    def from_url(self, url):
        self.add(*TOKEN_IN_URL.findall(url))
        self.add(*(urllib.parse.unquote(t) for t in TOKEN_IN_URL.findall(url)))

    def in_text(self, text):
        return sorted(secret for secret in self.found if secret in text)


def walk(client, form, answers, secrets, start=None, refused=False):
    """Answer every step of ``form`` with ``answers``; the last response.

    Every answer must be accepted, or with ``refused`` one must be refused.
    """
    url = f"/f/{form}"
    page = client.get(start or url)
    for _ in range(12):
        secrets.add(token_of(page))
        html = page.get_data(as_text=True)
        names = set(re.findall(r'name="([a-z][a-z0-9_]*)"', html))
        data = {"_t": token_of(page), "_step": step_of(page)}
        data.update({n: typed(answers[n]) for n in names if n in answers})
        response = client.post(url, data=data)
        location = response.headers.get("Location", "")
        secrets.from_url(location)
        if response.status_code == 422:
            assert refused, response.get_data(as_text=True)
            return response
        assert response.status_code == 303
        if not location.startswith("/f/"):
            return response
        page = client.get(location)
        if 'name="_t"' not in page.get_data(as_text=True):
            assert not refused
            return page
    pytest.fail(f"{form} did not end within 12 steps")


def log_lines(records):
    """Every line a handler would write for ``records``, traceback included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) for record in records]


def test_a_day_of_traffic_logs_no_answer_contact_or_token(
    app, client, storage, runner, specs_dir, deliverer, receiver, caplog
):
    caplog.set_level(logging.DEBUG, logger="formserver")
    secrets = Secrets()
    acme = answers_for(ACME)

    bad = walk(client, ACME, dict(acme, ticket_size=REJECTED), secrets, refused=True)
    assert bad.status_code == 422
    secrets.add(token_of(bad))
    for form in PEOPLE:
        walk(client, form, answers_for(form), secrets)
    assert len(storage.submissions()) == 3
    client.post(FORM, data={"_t": "forged.token.x"})
    secrets.add("forged.token.x")
    for name in ("acme_realty", "brightside_home", "northwind_software"):
        cookie = client.get_cookie(
            f"fs_lead_{name}", path=f"/f/{name.replace('_', '-')}/"
        )
        assert cookie is not None
        secrets.add(cookie.value)

    link = runner.invoke(
        main,
        ["lead-link", "--client", "acme-realty", "--email", acme["email"]]
        + ["--db", app.config["FORMSERVER_DB"], "--specs", str(specs_dir)],
        env={"FORMSERVER_SECRET_KEY": SECRET},
    )
    assert link.exit_code == 0, link.output
    secrets.from_url(link.stdout)
    client.delete_cookie("fs_lead_acme_realty", path="/f/acme-realty/")
    path = urllib.parse.urlsplit(link.stdout.strip())
    again = client.get(f"{path.path}?{path.query}")
    assert "Welcome back" in again.get_data(as_text=True)
    walk(client, ACME, acme, secrets, start=f"{path.path}?{path.query}")

    token = storage.create_api_token("acme-realty", "crm")
    secrets.add(token)
    bearer = {"Authorization": f"Bearer {token}"}
    leads = client.get("/api/v1/leads", headers=bearer).get_json()["leads"]
    assert leads
    outcome = client.post(
        f"/api/v1/leads/{leads[0]['id']}/outcome",
        json={"status": "disqualified", "reason": "Budget held by Zarathustra"},
        headers=bearer,
    )
    assert outcome.status_code == 201
    secrets.add("Budget held by Zarathustra")
    refused = client.get(
        "/api/v1/leads", headers=dict(bearer, Authorization="Bearer no")
    )
    assert refused.status_code == 401

    receiver.answers.append((500, {}))
    deliverer.run_once()
    deliverer.run_once()
    assert receiver.accepted_ids()
    for headers, _, _ in receiver.received:
        secrets.add(headers["webhook-signature"])

    lines = log_lines(caplog.records)
    text = "\n".join(lines)
    assert "Rejected form token" in text
    assert "Refused an unknown or revoked API token" in text
    assert re.search(r"Delivery \S+ attempt 1 to 127\.0\.0\.1: retry", text)
    assert re.search(r"Submission \S+ for acme-realty/property-enquiry tagged", text)
    leaked = {line: secrets.in_text(line) for line in lines if secrets.in_text(line)}
    assert not leaked


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_production_log_holds_no_answer_contact_or_token(tmp_path):
    key = "production-secret-key-" + "k" * 24
    server = LiveServer(tmp_path, env={"FORMSERVER_SECRET_KEY": key})
    server.start()
    secrets = Secrets()
    secrets.add(key, "campaign-Zarathustra")
    jar = CookieJar()
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), NoRedirects
    )

    def call(path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data else None
        try:
            response = browser.open(server.url + path, body)
        except urllib.error.HTTPError as error:
            response = error
        location = response.headers.get("Location", "")
        secrets.from_url(location)
        return response.status, location, response.read().decode()

    def step(html, step_id, answers):
        token = re.search(r'name="_t" value="([^"]+)"', html).group(1)
        secrets.add(token)
        return call(FORM, dict(answers, _t=token, _step=step_id))

    contact = {k: typed(v) for k, v in PEOPLE[ACME].items() if k in CONTACT_FIELDS}
    investment = {"asset_classes": "office", "markets": "london"}
    try:
        _, _, html = call(FORM + "?utm_source=campaign-Zarathustra")
        _, location, _ = step(html, "role", {"role": "investor"})
        _, _, html = call(location)
        status, _, html = step(
            html, "investment", dict(investment, ticket_size=REJECTED)
        )
        assert status == 422
        _, location, _ = step(html, "investment", dict(investment, ticket_size="3.75m"))
        _, _, html = call(location)
        status, location, _ = step(html, "contact", contact)
        assert status == 303
        assert "Thank you" in call(location)[2]
        assert call(FORM, {"_t": "forged.token.x", "_step": "role"})[0] == 400
        secrets.add(*(cookie.value for cookie in jar))
    finally:
        server.stop()

    log = server.log_text()
    assert "Listening at" in log
    assert "Rejected form token for acme-realty/property-enquiry" in log
    leaked = {
        line: secrets.in_text(line)
        for line in log.splitlines()
        if secrets.in_text(line)
    }
    assert not leaked
