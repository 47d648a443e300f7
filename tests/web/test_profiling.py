"""Progressive profiling: returning leads are asked only what is still unknown."""

import json
import re
import threading
from html import unescape

import pytest

from ..conftest import EXAMPLE_SPECS, step_of, token_of

FORMS = [
    (path.parent.name, path.stem)
    for path in sorted(EXAMPLE_SPECS.glob("*/*.json"))
    if path.name != "client.json" and not path.name.endswith(".tests.json")
]
#: An embed origin every example client allows.
HOST = "http://127.0.0.1"


def first_scenario(client_id, form_id):
    tests = EXAMPLE_SPECS / client_id / f"{form_id}.tests.json"
    scenarios = json.loads(tests.read_text())["scenarios"]
    return next(s for s in scenarios if not s.get("profile"))


def asked_on(page):
    html = page.get_data(as_text=True)
    return set(re.findall(r'name="([a-z][a-z0-9_-]*)"', html))


def as_form(answers, names):
    data = {}
    for name in names:
        value = answers.get(name)
        if value is True:
            data[name] = "y"
        elif value not in (None, False):
            data[name] = value
    return data


def walk(client, url, answers, pages=None):
    """Answer every step from ``answers``; return the fields asked and the end."""
    page = client.get(url)
    asked = set()
    for _ in range(30):
        if pages is not None:
            pages.append(page.get_data(as_text=True))
        names = asked_on(page) - {"_t", "_step", "_action"}
        asked |= names
        data = {"_t": token_of(page), "_step": step_of(page), "_action": "next"}
        data.update(as_form(answers, names))
        path = url.split("?")[0]
        response = client.post(path, data=data)
        assert response.status_code == 303, response.get_data(as_text=True)[:3000]
        if not response.headers["Location"].startswith(path):
            return asked, response
        page = client.get(response.headers["Location"])
        if 'name="_t"' not in page.get_data(as_text=True):
            return asked, page
    raise AssertionError("the form never ended")


def limit_new_questions(specs_dir, client_id, form_id, limit):
    path = specs_dir / client_id / f"{form_id}.json"
    document = json.loads(path.read_text())
    document.setdefault("profiling", {})["max_new_questions"] = limit
    path.write_text(json.dumps(document))


def lead_token_of(page):
    """The lead token a thank-you page inside the embed hands to the host page."""
    event = re.search(r'data-event="([^"]*)"', page.get_data(as_text=True))
    return json.loads(unescape(event.group(1)))["lead_token"]


@pytest.mark.parametrize("recognised_by", ["link", "embed"])
@pytest.mark.parametrize(("client_id", "form_id"), FORMS)
def test_three_visits_each_ask_only_what_is_still_unknown(
    app, client, storage, specs_dir, client_id, form_id, recognised_by
):
    limit_new_questions(specs_dir, client_id, form_id, 1)
    answers = first_scenario(client_id, form_id)["answers"]
    url = f"/f/{client_id}/{form_id}"
    tokens = app.extensions["formserver"].tokens

    if recognised_by == "link":
        first, _ = walk(client, url, answers)
        [lead] = list(storage.leads(client_id))
        client.delete_cookie(
            f"fs_lead_{client_id.replace('-', '_')}", path=f"/f/{client_id}/"
        )
        again = f"{url}?lead={tokens.sign_lead(client_id, lead['id'])}"
    else:
        # The snippet opens the frame with the host's origin and, on a later
        # visit, the token the thank-you page handed to the host page.
        first, thanks = walk(client, f"{url}?host={HOST}", answers)
        [lead] = list(storage.leads(client_id))
        cookie = f"fs_lead_{client_id.replace('-', '_')}"
        assert client.get_cookie(cookie, path=f"/f/{client_id}/") is None
        again = f"{url}?host={HOST}&lead={lead_token_of(thanks)}"
    second, _ = walk(client, again, answers)
    third, _ = walk(client, again, answers)

    spec = app.extensions["formserver"].catalog.spec(client_id, form_id)
    ask_once = {f.id for f in spec.fields_by_id.values() if f.ask_once}
    assert first & ask_once
    assert not (second & first & ask_once)
    assert not (third & (first | second) & ask_once)
    assert len(list(storage.leads(client_id))) == 1
    history = storage.profile_history(lead["id"])
    assert {row["submission_id"] for row in history} and all(
        row["form"] == form_id and row["step"] for row in history
    )
    assert len(storage.lead_submissions(lead["id"])) == 3


def test_the_tier_rises_as_the_profile_fills(app, client, storage, specs_dir):
    limit_new_questions(specs_dir, "acme-realty", "property-enquiry", 1)
    answers = {
        "role": "investor",
        "ticket_size": "6m",
        "asset_classes": ["office"],
        "markets": "london",
        "full_name": "Ann Lee",
        "email": "ann@example.com",
        "consent": True,
    }
    url = "/f/acme-realty/property-enquiry"
    tokens = app.extensions["formserver"].tokens

    walk(client, url, answers)
    [lead] = list(storage.leads("acme-realty"))
    link = f"{url}?lead={tokens.sign_lead('acme-realty', lead['id'])}"
    walk(client, link, answers)
    walk(client, link, answers)

    tiers = [s["tier"] for s in storage.lead_submissions(lead["id"])]
    scores = [s["score"] for s in storage.lead_submissions(lead["id"])]
    assert scores == [50, 70, 85]
    assert tiers == ["warm", "hot", "hot"]
    assert storage.lead(lead["id"])["tier"] == "hot"


def test_a_lead_link_shows_what_is_known_and_skips_it(app, client, storage):
    answers = first_scenario("acme-realty", "property-enquiry")["answers"]
    url = "/f/acme-realty/property-enquiry"
    walk(client, url, answers)
    [lead] = list(storage.leads("acme-realty"))
    token = app.extensions["formserver"].tokens.sign_lead("acme-realty", lead["id"])

    page = client.get(f"{url}?lead={token}")

    html = page.get_data(as_text=True)
    assert "Welcome back" in html
    assert "<dd>Ann Lee</dd>" in html
    assert "Not you? Start afresh" in html


def test_a_typed_email_skips_known_questions_but_reveals_nothing(
    app, client, storage, specs_dir
):
    path = specs_dir / "acme-realty/property-enquiry.json"
    document = json.loads(path.read_text())
    contact = document["steps"].pop()
    for step in document["steps"]:
        if step.get("next") == "contact":
            del step["next"]
            step["end"] = True
    document["steps"].insert(0, dict(contact, end=False, next="role"))
    path.write_text(json.dumps(document))
    answers = first_scenario("acme-realty", "property-enquiry")["answers"]
    url = "/f/acme-realty/property-enquiry"
    first, _ = walk(client, url, answers)
    client.delete_cookie("fs_lead_acme_realty", path="/f/acme-realty/")

    pages = []
    second, _ = walk(client, url, dict(answers, full_name="Someone Else"), pages)

    assert "ticket_size" in first
    assert "ticket_size" not in second
    assert len(pages) >= 2
    for html in pages:
        assert "Welcome back" not in html
        assert answers["full_name"] not in html
        assert "6000000" not in html


def test_not_me_starts_fresh_and_forgets_the_cookie(client, storage):
    answers = first_scenario("acme-realty", "property-enquiry")["answers"]
    url = "/f/acme-realty/property-enquiry"
    walk(client, url, answers)
    assert "Welcome back" in client.get(url).get_data(as_text=True)

    fresh = client.get(f"{url}?fresh=1")

    assert "Welcome back" not in fresh.get_data(as_text=True)
    assert "fs_lead_acme_realty=;" in fresh.headers["Set-Cookie"]
    assert "Welcome back" not in client.get(url).get_data(as_text=True)


def test_a_forged_or_foreign_lead_token_recognises_nobody(app, client, storage):
    answers = first_scenario("acme-realty", "property-enquiry")["answers"]
    walk(client, "/f/acme-realty/property-enquiry", answers)
    [lead] = list(storage.leads("acme-realty"))
    tokens = app.extensions["formserver"].tokens
    foreign = tokens.sign_lead("northwind-software", lead["id"])
    client.delete_cookie("fs_lead_acme_realty", path="/f/acme-realty/")

    for token in ("forged", foreign):
        page = client.get(f"/f/acme-realty/property-enquiry?lead={token}")
        assert "Welcome back" not in page.get_data(as_text=True)


def test_simultaneous_first_submissions_for_one_email_make_one_lead(app, storage):
    url = "/f/acme-realty/property-enquiry"
    base = first_scenario("acme-realty", "property-enquiry")["answers"]
    variants = [
        dict(base, full_name="Ann Lee", company="Alpha"),
        dict(base, full_name="Ann Lee", phone="020 7946 0958"),
    ]
    clients = [app.test_client() for _ in variants]
    pages = []
    for client, answers in zip(clients, variants, strict=True):
        page = client.get(url)
        while step_of(page) != "contact":
            names = asked_on(page) - {"_t", "_step", "_action"}
            data = {"_t": token_of(page), "_step": step_of(page)}
            data.update(as_form(answers, names))
            page = client.get(client.post(url, data=data).headers["Location"])
        pages.append(page)

    barrier = threading.Barrier(len(clients))
    results = []

    def finish(client, page, answers):
        names = asked_on(page) - {"_t", "_step", "_action"}
        data = {"_t": token_of(page), "_step": "contact"}
        data.update(as_form(answers, names))
        barrier.wait()
        results.append(client.post(url, data=data).status_code)

    threads = [
        threading.Thread(target=finish, args=args)
        for args in zip(clients, pages, variants, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [303, 303]
    [lead] = list(storage.leads("acme-realty"))
    assert lead["profile"]["company"] == "Alpha"
    assert lead["profile"]["phone"] == "+442079460958"
    assert len(storage.lead_submissions(lead["id"])) == 2
