import json
import re
import time
from html import unescape

import pytest

from formserver.app import ConfigError, create_app

from ..conftest import step_of, token_of

FORM = "/f/acme-realty/property-enquiry"
CONTACT = {
    "full_name": "Ann Lee",
    "email": " Ann@Example.com ",
    "consent": "y",
}
INVESTOR = {
    "role": {"role": "investor"},
    "investment": {
        "ticket_size": "2m",
        "asset_classes": ["office"],
        "markets": "europe",
    },
    "contact": CONTACT,
}


def post_step(client, page, answers, action="next"):
    data = {"_t": token_of(page), "_step": step_of(page), "_action": action}
    data.update(answers)
    return client.post(FORM, data=data)


def follow(client, response):
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"])


def complete(client, answers_by_step, start=FORM, headers=None):
    page = client.get(start, headers=headers)
    while True:
        step = step_of(page)
        response = post_step(client, page, answers_by_step[step])
        if step == "contact":
            return response
        page = follow(client, response)


def test_start_page_shows_the_first_step_with_a_token_and_no_cookie(client):
    response = client.get(FORM)

    assert response.status_code == 200
    assert step_of(response) == "role"
    assert "Set-Cookie" not in response.headers
    assert "Step 1 of 3" in response.get_data(as_text=True)


def test_completing_a_warm_path_stores_one_tagged_submission_and_lead(client, storage):
    response = complete(client, INVESTOR, start=FORM + "?utm_source=news&gclid=abc")

    thanks = follow(client, response)
    assert "We will send you matching opportunities" in thanks.get_data(as_text=True)
    [submission] = storage.submissions("acme-realty")
    assert submission["tier"] == "warm"
    assert submission["segment"] == "investor"
    assert submission["route"] == "investor-nurture"
    assert submission["captured"] == {"utm_source": "news", "gclid": "abc"}
    assert submission["answers"]["email"] == "ann@example.com"
    assert [r["rule"] for r in submission["tag"]["reasons"]] == [
        "ticket-mid",
        "core-assets",
    ]
    lead = storage.lead(submission["lead_id"])
    assert lead["email"] == "ann@example.com"
    assert lead["tier"] == "warm"
    assert lead["profile"]["ticket_size"] == 2000000


def test_a_hot_route_redirects_to_its_calendar_link(client, storage):
    answers = dict(
        INVESTOR,
        investment={
            "ticket_size": "9m",
            "asset_classes": ["office"],
            "markets": "london",
        },
    )

    response = complete(client, answers)

    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://calendar.acme-realty")
    assert storage.submissions()[0]["tier"] == "hot"


def test_submitting_the_last_step_twice_makes_one_submission(client, storage):
    page = client.get(FORM)
    for step in ("role", "investment"):
        page = follow(client, post_step(client, page, INVESTOR[step]))

    first = post_step(client, page, CONTACT)
    second = post_step(client, page, CONTACT)

    assert len(storage.submissions()) == 1
    assert first.status_code == second.status_code == 303
    assert "We will send you" in follow(client, second).get_data(as_text=True)


def test_an_invalid_answer_comes_back_with_a_summary_and_the_values_kept(client):
    page = follow(client, post_step(client, client.get(FORM), {"role": "investor"}))

    response = post_step(client, page, {"ticket_size": "lots", "markets": "london"})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="fs-error-summary" role="alert"' in html
    assert '<a href="#f-ticket_size">Please enter a number' in html
    assert 'value="lots"' in html
    assert 'id="f-ticket_size-error"' in html
    assert 'aria-describedby="f-ticket_size-help f-ticket_size-error"' in html


def test_back_keeps_what_was_typed_on_both_steps(client):
    page = follow(client, post_step(client, client.get(FORM), {"role": "developer"}))

    back = follow(client, post_step(client, page, {"site_area": "4.5"}, action="back"))
    assert step_of(back) == "role"
    assert 'value="developer" checked' in back.get_data(as_text=True)

    again = follow(client, post_step(client, back, {"role": "developer"}))
    assert step_of(again) == "project"
    assert 'value="4.5"' in again.get_data(as_text=True)


def test_changing_branch_drops_the_answers_of_the_abandoned_one(client, storage):
    page = follow(client, post_step(client, client.get(FORM), {"role": "investor"}))
    page = follow(client, post_step(client, page, INVESTOR["investment"]))
    back = follow(client, post_step(client, page, {}, action="back"))
    back = follow(client, post_step(client, back, {}, action="back"))
    assert step_of(back) == "role"

    page = follow(client, post_step(client, back, {"role": "occupier"}))
    assert step_of(page) == "space"
    page = follow(
        client, post_step(client, page, {"space_sqm": "800", "move_in": "2099-01-01"})
    )
    follow(client, post_step(client, page, CONTACT))

    [submission] = storage.submissions()
    assert submission["segment"] == "occupier"
    assert "ticket_size" not in submission["answers"]
    assert submission["path"] == ["role", "space", "contact"]


def test_reloading_a_step_resumes_it(client):
    response = post_step(client, client.get(FORM), {"role": "occupier"})

    first = client.get(response.headers["Location"])
    again = client.get(response.headers["Location"])

    assert step_of(first) == step_of(again) == "space"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("garbage", "We could not pick up where you left off"),
        ("", "We could not pick up where you left off"),
        ("x" * 5000, "We could not pick up where you left off"),
    ],
)
def test_a_bad_token_gives_a_friendly_page_to_start_again(client, token, message):
    response = client.post(
        FORM, data={"_t": token, "_step": "role", "role": "investor"}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert f'href="{FORM}">Start again' in html
    assert "Traceback" not in html


def test_a_tampered_token_in_the_url_is_refused_kindly(client):
    response = post_step(client, client.get(FORM), {"role": "investor"})
    location = response.headers["Location"]

    tampered = client.get(location[:-3] + ("AAA" if location[-3:] != "AAA" else "BBB"))

    assert tampered.status_code == 400
    assert "Please start again" in tampered.get_data(as_text=True)


def test_an_expired_token_says_so(app, client, monkeypatch):
    page = client.get(FORM)
    later = time.time() + app.config["FORMSERVER_TOKEN_MAX_AGE"] + 60
    monkeypatch.setattr(time, "time", lambda: later)

    response = post_step(client, page, {"role": "investor"})

    assert response.status_code == 400
    assert "left open for a long time" in response.get_data(as_text=True)


def test_a_token_of_another_form_is_refused(client):
    other = client.get("/f/northwind-software/demo-request")

    response = client.post(FORM, data={"_t": token_of(other), "_step": "role"})

    assert response.status_code == 400


def test_posting_a_step_not_yet_open_goes_back_to_the_current_one(client):
    page = client.get(FORM)
    response = client.post(
        FORM, data={"_t": token_of(page), "_step": "contact", **CONTACT}
    )

    assert step_of(follow(client, response)) == "role"


@pytest.mark.parametrize(
    "path",
    [
        "/f/acme-realty/nope",
        "/f/nobody/property-enquiry",
        "/f/acme-realty/..%2Fclient",
        "/f/ACME/x",
        "/f/acme-realty/client",
    ],
)
def test_unknown_forms_get_a_friendly_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "There is no form at this address" in response.get_data(as_text=True)


def test_a_prospect_mid_form_finishes_on_the_version_they_started(
    client, storage, specs_dir
):
    page = follow(client, post_step(client, client.get(FORM), {"role": "investor"}))
    spec_path = specs_dir / "acme-realty/property-enquiry.json"
    document = json.loads(spec_path.read_text())
    document["segments"][0]["routes"]["warm"]["track"] = "renamed-track"
    spec_path.write_text(json.dumps(document))

    page = follow(client, post_step(client, page, INVESTOR["investment"]))
    follow(client, post_step(client, page, CONTACT))
    complete(client, dict(INVESTOR, contact=dict(CONTACT, email="new@example.com")))

    old, new = storage.submissions()
    assert old["route"] == "investor-nurture"
    assert new["route"] == "renamed-track"
    assert old["version"] != new["version"]


def test_a_broken_edit_keeps_the_last_good_version_serving(client, specs_dir):
    assert client.get(FORM).status_code == 200
    (specs_dir / "acme-realty/property-enquiry.json").write_text("{ not json")

    response = client.get(FORM)

    assert response.status_code == 200
    assert step_of(response) == "role"


def test_form_pages_may_be_framed_by_the_clients_origins_only(client):
    form = client.get(FORM)
    missing = client.get("/f/acme-realty/nope")

    assert (
        "frame-ancestors 'self' https://acme-realty.example"
        in (form.headers["Content-Security-Policy"])
    )
    assert "X-Frame-Options" not in form.headers
    assert missing.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in missing.headers["Content-Security-Policy"]


def test_every_page_has_the_security_headers(client):
    response = client.get(FORM)

    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_an_oversized_request_gets_a_friendly_413(client):
    page = client.get(FORM)

    response = post_step(client, page, {"role": "x" * 400_000})

    assert response.status_code == 413
    assert "too long to accept" in response.get_data(as_text=True)


def test_the_client_theme_is_a_stylesheet_with_the_brand_colour(client):
    response = client.get("/c/acme-realty/theme.css")

    assert response.mimetype == "text/css"
    assert "--fs-brand: #1f4e79" in response.get_data(as_text=True)


def add_form(specs_dir, form_id, document):
    """Write a spec for acme-realty beside the examples; return its address."""
    path = specs_dir / "acme-realty" / f"{form_id}.json"
    path.write_text(json.dumps(document))
    return f"/f/acme-realty/{form_id}"


def text_field(field_id, **options):
    return {"id": field_id, "type": "text", "label": field_id.title(), **options}


CALL_BACK = {
    "title": "Call me back",
    "lead_fields": ["email"],
    "steps": [
        {
            "id": "call",
            "fields": [
                text_field("full_name", required=True),
                {"id": "email", "type": "email", "label": "Email", "required": True},
            ],
            "end": True,
        }
    ],
}


def test_sending_the_only_step_twice_makes_one_submission(client, storage, specs_dir):
    url = add_form(specs_dir, "call-back", CALL_BACK)
    page = client.get(url)
    data = {"_t": token_of(page), "_step": "call", "_action": "next"}
    data.update(full_name="Ann Lee", email="ann@example.com")

    first = client.post(url, data=data)
    second = client.post(url, data=data)

    assert first.status_code == second.status_code == 303
    assert len(storage.submissions("acme-realty")) == 1
    first_thanks = follow(client, first).get_data(as_text=True)
    assert 'class="fs-thanks"' in first_thanks
    assert follow(client, second).get_data(as_text=True) == first_thanks


def test_each_first_page_reserves_its_own_partial(client, storage, specs_dir):
    url = add_form(specs_dir, "call-back", CALL_BACK)
    answers = {"_step": "call", "full_name": "Ann Lee", "email": "ann@example.com"}

    for _ in range(2):
        client.post(url, data={"_t": token_of(client.get(url)), **answers})

    assert len(storage.submissions("acme-realty")) == 2


def partial_count(storage):
    return storage.db.execute("SELECT count(*) FROM partials").fetchone()[0]


@pytest.mark.parametrize("step", ["nope", "", "ROLE"])
def test_a_post_for_an_unknown_step_is_refused_and_stores_nothing(
    client, storage, step
):
    page = client.get(FORM)

    responses = [
        client.post(FORM, data={"_t": token_of(page), "_step": step, "role": "x"})
        for _ in range(3)
    ]

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert "We could not pick up where you left off" in responses[0].get_data(
        as_text=True
    )
    assert partial_count(storage) == 0


def test_a_post_for_an_unknown_step_leaves_a_form_in_progress_alone(client, storage):
    page = follow(client, post_step(client, client.get(FORM), {"role": "investor"}))
    [before] = storage.db.execute("SELECT * FROM partials").fetchall()

    response = client.post(FORM, data={"_t": token_of(page), "_step": "nope"})

    assert response.status_code == 400
    assert storage.db.execute("SELECT * FROM partials").fetchall() == [before]


HOST_PAGE = "https://acme-realty.example/offices"
SEARCH = "https://search.example/?q=offices"


@pytest.mark.parametrize(
    ("query", "referrer"),
    [
        ("", HOST_PAGE),
        ("?referrer=https://search.example/", "https://search.example/"),
        ("?host=https://acme-realty.example", None),
        (
            "?host=https://acme-realty.example&referrer=https://search.example/",
            "https://search.example/",
        ),
    ],
    ids=["direct", "direct-with-parameter", "embedded", "embedded-with-parameter"],
)
def test_the_stored_referrer_is_the_page_that_sent_the_prospect(
    client, storage, query, referrer
):
    """Inside the embed the Referer header is the host page, never a referrer."""
    complete(client, INVESTOR, start=FORM + query, headers={"Referer": HOST_PAGE})

    [submission] = storage.submissions("acme-realty")
    assert submission["captured"].get("referrer") == referrer


PLANS = {
    "title": "Plans",
    "lead_fields": ["email"],
    "steps": [
        {
            "id": "about",
            "fields": [
                {
                    "id": "email",
                    "type": "email",
                    "label": "Email",
                    "required": True,
                    "ask_once": True,
                }
            ],
            "next": "budget",
        },
        {
            "id": "budget",
            "fields": [
                {
                    "id": "budget",
                    "type": "number",
                    "label": "Budget",
                    "required": True,
                    "ask_once": True,
                    "validation": {"min": 0, "max": 1000000},
                }
            ],
            "next": "plan",
        },
        {
            "id": "plan",
            "fields": [
                {
                    "id": "plan",
                    "type": "radio",
                    "label": "Plan",
                    "required": True,
                    "options": [
                        {"value": "basic", "label": "Basic"},
                        {"value": "custom", "label": "Custom"},
                    ],
                },
                text_field(
                    "needs",
                    required=True,
                    visible_if={
                        "and": [
                            {"==": [{"var": "plan"}, "custom"]},
                            {">=": [{"var": "budget"}, 5000]},
                        ]
                    },
                ),
            ],
            "end": True,
        },
    ],
}


def browser_context(page):
    """The values a step page gives the browser to decide visible_if."""
    found = re.search(r'data-context="([^"]*)"', page.get_data(as_text=True))
    return json.loads(unescape(found.group(1)))


def answer_plans(client, url, page):
    """Answer each step of the plans form until its plan step; return that page."""
    answers = {"about": {"email": "ann@example.com"}, "budget": {"budget": "7777"}}
    while step_of(page) != "plan":
        page = follow(client, post_step_to(client, url, page, answers[step_of(page)]))
    return page


def post_step_to(client, url, page, answers):
    data = {"_t": token_of(page), "_step": step_of(page), "_action": "next"}
    return client.post(url, data={**data, **answers})


def test_a_typed_email_never_reveals_a_known_value_to_the_browser(
    app, client, storage, specs_dir
):
    url = add_form(specs_dir, "plans", PLANS)
    first = answer_plans(client, url, client.get(url))
    assert browser_context(first) == {"budget": 7777}
    follow(client, post_step_to(client, url, first, {"plan": "basic"}))
    [lead] = list(storage.leads("acme-realty"))
    client.delete_cookie("fs_lead_acme_realty", path="/f/acme-realty/")

    typed = answer_plans(client, url, client.get(url))
    link = app.extensions["formserver"].tokens.sign_lead("acme-realty", lead["id"])
    recognised = client.get(f"{url}?lead={link}")

    assert step_of(typed) == step_of(recognised) == "plan"
    assert browser_context(typed) == {}
    assert "7777" not in typed.get_data(as_text=True)
    assert browser_context(recognised) == {"budget": 7777}


def test_a_rule_reading_a_withheld_value_is_left_to_the_server(
    client, storage, specs_dir
):
    """The field stays shown in the browser; the server asks for it or drops it."""
    url = add_form(specs_dir, "plans", PLANS)
    first = answer_plans(client, url, client.get(url))
    follow(client, post_step_to(client, url, first, {"plan": "basic"}))
    client.delete_cookie("fs_lead_acme_realty", path="/f/acme-realty/")
    typed = answer_plans(client, url, client.get(url))

    asked = post_step_to(client, url, typed, {"plan": "custom"})
    follow(client, post_step_to(client, url, asked, {"plan": "custom", "needs": "x"}))

    assert 'id="w-needs" data-visible-if' not in typed.get_data(as_text=True)
    assert asked.status_code == 422
    assert 'href="#f-needs"' in asked.get_data(as_text=True)
    [_, second] = storage.submissions("acme-realty")
    assert second["answers"]["needs"] == "x"


@pytest.mark.parametrize(("length", "refused"), [(31, True), (32, False)])
def test_a_secret_key_needs_32_characters(tmp_path, specs_dir, length, refused):
    config = {
        "FORMSERVER_SECRET_KEY": "k" * length,
        "FORMSERVER_SPECS": str(specs_dir),
        "FORMSERVER_DB": str(tmp_path / "formserver.db"),
    }

    if refused:
        with pytest.raises(ConfigError, match="use at least 32 random characters"):
            create_app(config)
    else:
        assert create_app(config).config["SECRET_KEY"] == "k" * 32
