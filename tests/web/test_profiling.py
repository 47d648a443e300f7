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


#: The scenario of each example spec that a returning lead plays on every visit:
#: its first visit leaves the profile unfinished and its tier not yet final.
STORIES = {
    ("acme-realty", "property-enquiry"): "mid-sized investor in the UK regions",
    ("brightside-home", "quote-request"): "homeowner wanting a boiler and gutter plan",
    ("northwind-software", "demo-request"): "enterprise insurer who recommends",
}


def scenarios_of(client_id, form_id):
    tests = EXAMPLE_SPECS / client_id / f"{form_id}.tests.json"
    return json.loads(tests.read_text())["scenarios"]


def first_scenario(client_id, form_id):
    return next(s for s in scenarios_of(client_id, form_id) if not s.get("profile"))


def story_of(client_id, form_id):
    """The answers of the example spec's returning-lead scenario (see STORIES)."""
    start = STORIES.get((client_id, form_id))
    assert start, f"{client_id}/{form_id} has no returning-lead story in STORIES"
    found = [s for s in scenarios_of(client_id, form_id) if s["name"].startswith(start)]
    assert len(found) == 1, f"no single scenario of {client_id} starts {start!r}"
    return found[0]["answers"]


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


def lead_token_of(page):
    """The lead token a thank-you page inside the embed hands to the host page."""
    event = re.search(r'data-event="([^"]*)"', page.get_data(as_text=True))
    return json.loads(unescape(event.group(1)))["lead_token"]


def come_back(app, client, storage, client_id, form_id, recognised_by):
    """A first visit, and the address that recognises the lead on later ones.

    ``link``: a lead link from a nurture email, opened without the cookie of
    the first visit. ``embed``: the snippet's frame on the host page, which
    gets no cookie and hands over the token the thank-you page gave the host.
    """
    url = f"/f/{client_id}/{form_id}"
    answers = story_of(client_id, form_id)
    cookie = f"fs_lead_{client_id.replace('-', '_')}"
    if recognised_by == "link":
        first, _ = walk(client, url, answers)
        [lead] = list(storage.leads(client_id))
        client.delete_cookie(cookie, path=f"/f/{client_id}/")
        token = app.extensions["formserver"].tokens.sign_lead(client_id, lead["id"])
        return first, f"{url}?lead={token}"

    first, thanks = walk(client, f"{url}?host={HOST}", answers)
    assert client.get_cookie(cookie, path=f"/f/{client_id}/") is None
    return first, f"{url}?host={HOST}&lead={lead_token_of(thanks)}"


def assert_learned_where_asked(spec, storage, lead_id, visits):
    """Each ask-once value names the form, step and visit that asked it.

    ``visits`` holds the ask-once fields each visit asked, in order; a value
    was learned after its visit started and before the next one did.
    """
    submissions = storage.lead_submissions(lead_id)
    history = storage.profile_history(lead_id)
    current = {row["key"]: row for row in history if row["current"]}
    assert all(
        row["form"] == spec.form and row["step"] in spec.steps_by_id for row in history
    )
    starts = [s["started_at"] for s in submissions] + ["9999"]
    for number, (visit, submission) in enumerate(zip(visits, submissions, strict=True)):
        for field_id in visit:
            row = current[spec.fields_by_id[field_id].profile_key]
            assert row["value"] not in (None, "", [])
            assert (row["step"], row["submission_id"]) == (
                spec.step_of_field[field_id],
                submission["id"],
            )
            assert starts[number] <= row["learned_at"] < starts[number + 1]


@pytest.mark.parametrize("recognised_by", ["link", "embed"])
@pytest.mark.parametrize(("client_id", "form_id"), FORMS)
def test_three_visits_each_ask_only_what_is_still_unknown(
    app, client, storage, client_id, form_id, recognised_by
):
    spec = app.extensions["formserver"].catalog.spec(client_id, form_id)
    answers = story_of(client_id, form_id)

    first, again = come_back(app, client, storage, client_id, form_id, recognised_by)
    second, _ = walk(client, again, answers)
    third, _ = walk(client, again, answers)

    [lead] = list(storage.leads(client_id))
    submissions = storage.lead_submissions(lead["id"])
    ask_once = {f.id for f in spec.fields_by_id.values() if f.ask_once}
    visits = [first & ask_once, second & ask_once, third & ask_once]
    on_path = {
        f.id
        for step_id in submissions[0]["path"]
        for f in spec.steps_by_id[step_id].fields
        if f.ask_once
    }
    assert visits[1] and not visits[1] & visits[0]
    assert visits[2] and not visits[2] & (visits[0] | visits[1])
    assert visits[0] | visits[1] | visits[2] == on_path
    limit = spec.profiling.max_new_questions
    assert all(len(visit - spec.never_held_back) <= limit for visit in visits)
    how = [storage.partial(s["partial_id"]).recognised_by for s in submissions]
    assert how == [None, recognised_by, recognised_by]
    assert_learned_where_asked(spec, storage, lead["id"], visits)
    tiers = [s["tier"] for s in submissions]
    assert len(set(tiers)) > 1, f"the tier stayed {tiers[0]} on every visit"
    assert storage.lead(lead["id"])["tier"] == tiers[-1]


def test_the_tier_rises_as_the_profile_fills(app, client, storage):
    _, again = come_back(
        app, client, storage, "acme-realty", "property-enquiry", "link"
    )
    answers = story_of("acme-realty", "property-enquiry")
    walk(client, again, answers)
    walk(client, again, answers)

    [lead] = list(storage.leads("acme-realty"))
    submissions = storage.lead_submissions(lead["id"])
    assert [s["score"] for s in submissions] == [60, 75, 85]
    assert [s["tier"] for s in submissions] == ["warm", "hot", "hot"]
    assert [s["route"] for s in submissions] == [
        "investor-nurture",
        "investor-desk",
        "investor-desk",
    ]
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
