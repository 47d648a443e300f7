import json
import time

import pytest

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


def complete(client, answers_by_step, start=FORM):
    page = client.get(start)
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
