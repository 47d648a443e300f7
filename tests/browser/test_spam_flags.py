"""A person in Chromium is never taken for a bot by the default spam checks.

The shared server of the browser suite runs with no minimum fill time, so
that its many quick runs stay fast. This module's server keeps the default
minimum, and a prospect answers at the pace of a person typing.
"""

import json
import re
import time
import uuid
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest

from formserver.config import defaults

from .conftest import LiveServer
from .prospect import Prospect, submissions_of_campaign

MIN_FILL_SECONDS = defaults()["FORMSERVER_MIN_FILL_SECONDS"]
#: Milliseconds between keystrokes: a quick typist, well under 2 s a field.
KEYSTROKE_MS = 60
CLIENT, FORM = "acme-realty", "property-enquiry"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The production server with the default minimum fill time.

    Named as the suite's fixture, so that the suite's hook prints this
    server's log when a test here fails.
    """
    server = LiveServer(
        tmp_path_factory.mktemp("spam_flags_server"),
        env={"FORMSERVER_MIN_FILL_SECONDS": str(MIN_FILL_SECONDS)},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def campaign():
    return f"spam-flags-{uuid.uuid4().hex}"


def type_into(page, selector, text):
    page.locator(selector).press_sequentially(text, delay=KEYSTROKE_MS)


@pytest.fixture
def prospect(browser, live_server):
    context = browser.new_context()
    try:
        yield Prospect(context.new_page(), live_server.url)
    finally:
        context.close()


def test_a_person_filling_the_form_at_human_speed_is_not_flagged(
    prospect, live_server, campaign
):
    page = prospect.page
    started = time.monotonic()

    prospect.start(CLIENT, FORM, utm_campaign=campaign)
    page.get_by_label("Investor", exact=True).check()
    prospect.send()
    type_into(page, "#f-ticket_size", "2.5m")
    page.get_by_label("Office", exact=True).check()
    page.locator("#f-markets").select_option("london")
    prospect.send()
    type_into(page, "#f-full_name", "Ann Lee")
    type_into(page, "#f-email", f"ann+{campaign}@example.com")
    page.locator("#f-consent").check()
    prospect.send()
    took = time.monotonic() - started

    assert prospect.finished, prospect.errors()
    [submission] = submissions_of_campaign(live_server.db, CLIENT, FORM, campaign)
    assert (submission["spam"], json.loads(submission["spam_reasons"])) == (0, [])
    # Slower than the minimum, or the test would prove nothing.
    assert took > MIN_FILL_SECONDS


def page_fields(html):
    token = re.search(r'name="_t" value="([^"]+)"', html).group(1)
    step = re.search(r'name="_step" value="([^"]+)"', html).group(1)
    return {"_t": token, "_step": step}


def test_the_same_form_sent_at_machine_speed_is_flagged(live_server, campaign):
    """The control: this server does flag what no person could do."""
    url = f"{live_server.url}/f/{CLIENT}/{FORM}"
    answers = {
        "role": {"role": "investor"},
        "investment": {
            "ticket_size": "2.5m",
            "asset_classes": "office",
            "markets": "london",
        },
        "contact": {
            "full_name": "Bot",
            "email": f"bot+{campaign}@example.com",
            "consent": "y",
        },
    }

    with urlopen(f"{url}?{urlencode({'utm_campaign': campaign})}") as response:
        html = response.read().decode()
    for _ in answers:
        fields = page_fields(html)
        body = urlencode({**fields, **answers[fields["_step"]]}).encode()
        with urlopen(Request(url, data=body, method="POST")) as response:
            html = response.read().decode()

    [submission] = submissions_of_campaign(live_server.db, CLIENT, FORM, campaign)
    assert submission["spam"] == 1
    [reason] = json.loads(submission["spam_reasons"])
    assert reason.endswith("s after it was shown")
