"""Abuse controls on step answers: rate limits, the honeypot, the fill time.

Rate limits are counted in a SQLite file beside the database, so the tests
build two apps over one folder to stand in for two gunicorn workers. Time in
``formserver.ratelimit`` and ``formserver.web.completion`` is shifted by a
:class:`Clock` instead of slept through.
"""

import json
import sqlite3
import time
from contextlib import closing
from html.parser import HTMLParser

import pytest

from formserver import ratelimit
from formserver.app import create_app
from formserver.cli import main
from formserver.config import defaults
from formserver.web import completion
from formserver.web.prospects import HONEYPOT

from ..conftest import ROOT, app_config, step_of, token_of
from .test_prospects import FORM, INVESTOR, follow, post_step

OTHER_FORM = "/f/northwind-software/demo-request"
DEFAULT_MIN_FILL = defaults()["FORMSERVER_MIN_FILL_SECONDS"]


class Clock:
    """Stands in for the ``time`` module of one formserver module: real, shifted."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset

    def monotonic(self):
        return time.monotonic() + self.offset

    def advance(self, seconds):
        self.offset += seconds


@pytest.fixture
def make_app(tmp_path, specs_dir):
    """Apps over one database folder, as gunicorn workers are, with ``config``."""

    def make(**config):
        return create_app(app_config(tmp_path, specs_dir, **config))

    return make


def send_role(client, address=None, form=FORM):
    """Answer the first step of ``form``, from ``address`` if a proxy says so."""
    headers = {"X-Forwarded-For": address} if address else {}
    page = client.get(form)
    data = {"_t": token_of(page), "_step": step_of(page), "role": "investor"}
    return client.post(form, data=data, headers=headers)


def statuses(sends):
    return [response.status_code for response in sends]


# Rate limits


def test_two_workers_share_the_count_of_one_address(make_app):
    first = make_app(FORMSERVER_RATE_LIMIT_ADDRESS="3/minute").test_client()
    second = make_app(FORMSERVER_RATE_LIMIT_ADDRESS="3/minute").test_client()

    sent = [send_role(worker) for worker in (first, second, first, second)]

    assert statuses(sent) == [303, 303, 303, 429]


def test_an_address_over_its_limit_gets_a_friendly_page_with_retry_after(make_app):
    client = make_app(FORMSERVER_RATE_LIMIT_ADDRESS="2/minute").test_client()
    send_role(client)
    send_role(client)

    response = send_role(client)

    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    text = response.get_data(as_text=True)
    assert "<title>Please wait a moment</title>" in text
    assert "Your answers so far are saved" in text
    assert "Traceback" not in text


def test_an_address_may_answer_again_once_retry_after_has_passed(make_app, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ratelimit, "time", clock)
    client = make_app(FORMSERVER_RATE_LIMIT_ADDRESS="1/minute").test_client()
    send_role(client)
    refused = send_role(client)

    clock.advance(int(refused.headers["Retry-After"]))

    assert refused.status_code == 429
    assert send_role(client).status_code == 303


def test_the_form_limit_counts_answers_from_every_address(make_app):
    client = make_app(
        FORMSERVER_PROXY_COUNT=1,
        FORMSERVER_RATE_LIMIT_ADDRESS="",
        FORMSERVER_RATE_LIMIT_FORM="3/minute",
    ).test_client()
    addresses = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]

    sent = [send_role(client, address) for address in addresses]
    elsewhere = send_role(client, "203.0.113.5", form=OTHER_FORM)

    assert statuses(sent) == [303, 303, 303, 429]
    assert elsewhere.status_code != 429


def test_an_address_over_its_limit_uses_up_none_of_the_forms_allowance(make_app):
    client = make_app(
        FORMSERVER_PROXY_COUNT=1,
        FORMSERVER_RATE_LIMIT_ADDRESS="2/minute",
        FORMSERVER_RATE_LIMIT_FORM="4/minute",
    ).test_client()

    flood = [send_role(client, "198.51.100.9") for _ in range(6)]
    others = [send_role(client, f"203.0.113.{n}") for n in (1, 2)]

    assert statuses(flood) == [303, 303, 429, 429, 429, 429]
    assert statuses(others) == [303, 303]


def test_behind_a_trusted_proxy_each_forwarded_address_is_counted_apart(make_app):
    client = make_app(
        FORMSERVER_PROXY_COUNT=1, FORMSERVER_RATE_LIMIT_ADDRESS="2/minute"
    ).test_client()
    addresses = ["198.51.100.1"] * 2 + ["198.51.100.2"] * 2 + ["198.51.100.1"]

    sent = [send_role(client, address) for address in addresses]

    assert statuses(sent) == [303, 303, 303, 303, 429]


def test_without_a_trusted_proxy_a_forwarded_address_escapes_no_limit(make_app):
    client = make_app(FORMSERVER_RATE_LIMIT_ADDRESS="2/minute").test_client()
    addresses = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]

    sent = [send_role(client, address) for address in addresses]

    assert statuses(sent) == [303, 303, 429]


def counted(path):
    """What the counters file at ``path`` counts: ("address", "192.0.2.1") …"""
    with closing(sqlite3.connect(path)) as connection:
        keys = [key for (key,) in connection.execute("SELECT key FROM counters")]
    # A key reads LIMITER/<kind>/<who>/<amount>/<multiples>/<granularity>.
    return sorted(tuple(key.split("/")[1:3]) for key in keys)


def test_empty_settings_mean_no_limit_and_nothing_counted(make_app, tmp_path):
    client = make_app(
        FORMSERVER_RATE_LIMIT_ADDRESS="", FORMSERVER_RATE_LIMIT_FORM=""
    ).test_client()
    beyond_the_default = int(defaults()["FORMSERVER_RATE_LIMIT_ADDRESS"].split("/")[0])

    sent = [send_role(client) for _ in range(beyond_the_default + 5)]

    assert set(statuses(sent)) == {303}
    assert counted(tmp_path / "formserver-ratelimit.db") == []


def test_counters_of_ended_windows_are_pruned_at_most_once_a_minute(
    tmp_path, monkeypatch
):
    clock = Clock()
    monkeypatch.setattr(ratelimit, "time", clock)
    path = tmp_path / "counters.db"
    limits = ratelimit.RateLimits(str(path), "5/second", "")

    limits.hit("192.0.2.1", "acme-realty/property-enquiry")
    clock.advance(5)
    limits.hit("192.0.2.2", "acme-realty/property-enquiry")
    within_the_minute = counted(path)
    clock.advance(ratelimit.PRUNE_INTERVAL_SECONDS)
    limits.hit("192.0.2.3", "acme-realty/property-enquiry")

    assert within_the_minute == [("address", "192.0.2.1"), ("address", "192.0.2.2")]
    assert counted(path) == [("address", "192.0.2.3")]


# The honeypot


class HoneypotFinder(HTMLParser):
    """Finds the honeypot input and the attributes of the elements around it."""

    VOID = {"input", "meta", "link", "br", "img", "hr", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.open = []
        self.found = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name") == HONEYPOT:
            self.found = (attributes, [dict(a) for _, a in self.open])
        if tag not in self.VOID:
            self.open.append((tag, attrs))

    def handle_endtag(self, tag):
        while self.open and self.open.pop()[0] != tag:
            pass


def honeypot_in(response):
    finder = HoneypotFinder()
    finder.feed(response.get_data(as_text=True))
    assert finder.found, "the page has no honeypot"
    return finder.found


def step_pages(client):
    """The first step, a later step, and a step shown again with its errors."""
    first = client.get(FORM)
    later = follow(client, post_step(client, first, {"role": "investor"}))
    with_errors = post_step(client, later, {})
    assert with_errors.status_code == 422
    return {"first": first, "later": later, "with errors": with_errors}


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(client):
    stylesheet = (ROOT / "static/css/form.css").read_text()

    for name, page in step_pages(client).items():
        field, around = honeypot_in(page)

        assert field["type"] == "text", name
        assert field["tabindex"] == "-1", name
        assert field["autocomplete"] == "off", name
        hidden = [a for a in around if a.get("aria-hidden") == "true"]
        assert hidden and "fs-hp" in hidden[-1]["class"].split(), name
    assert ".fs-hp { position: absolute; left: -10000px;" in stylesheet


def fill_in(client, email, bait=None, bait_step="role"):
    """Complete the investor path, typing ``bait`` into the honeypot on one step."""
    answers = dict(INVESTOR, contact=dict(INVESTOR["contact"], email=email))
    page = client.get(FORM)
    while True:
        step = step_of(page)
        sent = dict(answers[step])
        if bait is not None and step == bait_step:
            sent[HONEYPOT] = bait
        response = post_step(client, page, sent)
        page = follow(client, response)
        if step == "contact":
            return page


@pytest.mark.parametrize(
    ("bait", "bait_step", "reasons"),
    [
        ("", "role", []),
        ("https://cheap-pills.example", "role", ["honeypot"]),
        ("https://cheap-pills.example", "contact", ["honeypot"]),
    ],
    ids=["left-empty", "filled-on-the-first-step", "filled-on-the-last-step"],
)
def test_a_filled_honeypot_stores_the_submission_flagged_not_dropped(
    client, storage, bait, bait_step, reasons
):
    thanks = fill_in(client, "bot@example.com", bait, bait_step)

    # A bot is thanked as a person is, so it learns nothing from the page.
    assert thanks.status_code == 200
    assert "We will send you matching opportunities" in thanks.get_data(as_text=True)
    [submission] = storage.submissions("acme-realty")
    assert submission["spam_reasons"] == reasons
    assert bool(submission["spam"]) == bool(reasons)
    assert submission["answers"]["email"] == "bot@example.com"


def test_honeypot_spam_stays_out_of_leads_exports_and_the_api(
    client, storage, runner, specs_dir, app
):
    fill_in(client, "ann@example.com")
    fill_in(client, "bot@example.com", bait="https://cheap-pills.example")
    token = storage.create_api_token("acme-realty", "crm")

    exported = runner.invoke(
        main,
        ["export", "--client", "acme-realty", "--format", "jsonl"]
        + ["--db", app.config["FORMSERVER_DB"], "--specs", str(specs_dir)],
    )
    listed = client.get(
        "/api/v1/leads", headers={"Authorization": f"Bearer {token}"}
    ).get_json()

    assert [lead["email"] for lead in storage.leads("acme-realty")] == [
        "ann@example.com"
    ]
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [row["email"] for row in rows] == ["ann@example.com"]
    assert [lead["email"] for lead in listed["leads"]] == ["ann@example.com"]
    events = storage.db.execute("SELECT count(*) FROM events").fetchone()[0]
    assert events == 1


def test_honeypot_spam_is_listed_and_reaches_the_webhook_only_once_released(
    client, storage, runner, deliverer, receiver, app
):
    db = app.config["FORMSERVER_DB"]
    fill_in(client, "bot@example.com", bait="https://cheap-pills.example")
    [flagged] = storage.flagged("acme-realty")
    deliverer.run_once()
    delivered_while_flagged = list(receiver.received)

    listed = runner.invoke(main, ["spam", "list", "--db", db])
    released = runner.invoke(main, ["spam", "release", flagged["id"], "--db", db])
    deliverer.run_once()

    assert delivered_while_flagged == []
    assert listed.exit_code == 0, listed.output
    assert f"{flagged['id']}  acme-realty/property-enquiry" in listed.stdout
    assert listed.stdout.rstrip().endswith("honeypot")
    assert released.exit_code == 0, released.output
    [lead] = storage.leads("acme-realty")
    assert lead["email"] == "bot@example.com"
    [(_, body, _)] = receiver.received
    assert json.loads(body)["type"] == "lead.submitted"
    assert storage.flagged() == []


# The minimum fill time


def test_a_form_answered_faster_than_the_minimum_is_flagged(make_app):
    app = make_app(FORMSERVER_MIN_FILL_SECONDS=DEFAULT_MIN_FILL)
    storage = app.extensions["formserver"].storage

    fill_in(app.test_client(), "quick@example.com")

    [submission] = storage.submissions("acme-realty")
    assert submission["spam"] == 1
    [reason] = submission["spam_reasons"]
    assert reason.startswith("completed 0.") and reason.endswith("s after it was shown")
    assert list(storage.leads("acme-realty")) == []


def test_a_form_answered_over_the_minimum_is_not_flagged(make_app, monkeypatch):
    app = make_app(FORMSERVER_MIN_FILL_SECONDS=DEFAULT_MIN_FILL)
    storage = app.extensions["formserver"].storage
    clock = Clock()
    # The prospect takes a little longer than the minimum to send the form.
    clock.advance(DEFAULT_MIN_FILL + 0.5)
    monkeypatch.setattr(completion, "time", clock)

    fill_in(app.test_client(), "person@example.com")

    [submission] = storage.submissions("acme-realty")
    assert (submission["spam"], submission["spam_reasons"]) == (0, [])
    [lead] = storage.leads("acme-realty")
    assert lead["email"] == "person@example.com"
