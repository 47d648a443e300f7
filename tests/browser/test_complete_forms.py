"""Prospects complete the example forms in Chromium, with JavaScript on and off.

Every scenario beside every example spec is played through the real pages of
the production server with JavaScript on, and the fullest scenario of each
segment with JavaScript off too; what each run stored is read from the database.
"""

import uuid
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from .prospect import (
    Prospect,
    example_scenarios,
    submissions_of_campaign,
    with_own_email,
)

JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


def scenario_runs():
    """Every scenario with JavaScript on; the fullest one per segment also off."""
    scenarios = example_scenarios()
    fullest = {}
    for client, form, scenario in scenarios:
        key = (client, form, scenario["expected"]["segment"])
        if len(scenario["answers"]) > len(fullest.get(key, {}).get("answers", {})):
            fullest[key] = scenario
    runs = []
    for client, form, scenario in scenarios:
        name = f"{client}/{form}: {scenario['name']}"
        runs.append(pytest.param(client, form, scenario, True, id=f"{name}-js"))
        if scenario in fullest.values():
            runs.append(pytest.param(client, form, scenario, False, id=f"{name}-no-js"))
    return runs


INVESTMENT = {"ticket_size": "2.5m", "asset_classes": ["office"], "markets": "london"}


@pytest.fixture
def javascript():
    return True


@pytest.fixture
def prospect(browser, base_url, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    try:
        yield Prospect(context.new_page(), base_url)
    finally:
        context.close()


@pytest.fixture
def campaign():
    """A utm_campaign no other test uses, to find this test's submission."""
    return f"e2e-{uuid.uuid4().hex}"


@pytest.fixture
def contact(campaign):
    """Contact answers with an email no other test types."""
    return {
        "full_name": "Ann Lee",
        "email": f"ann+{campaign}@example.com",
        "consent": True,
    }


def start(prospect, campaign, client="acme-realty", form="property-enquiry"):
    return prospect.start(client, form, utm_source="e2e", utm_campaign=campaign)


def stored(live_server, campaign, client="acme-realty", form="property-enquiry"):
    return submissions_of_campaign(live_server.db, client, form, campaign)


@pytest.mark.parametrize(("client", "form", "scenario", "javascript"), scenario_runs())
def test_scenario_completed_in_the_browser_stores_its_tagged_submission(
    prospect, live_server, campaign, client, form, scenario
):
    expected = scenario["expected"]
    if "first_visit" in scenario:
        start(prospect, f"{campaign}-first", client, form)
        prospect.complete(with_own_email(scenario["first_visit"], campaign))
        start(prospect, campaign, client, form)
        expect(prospect.page.locator(".fs-known")).to_contain_text("Welcome back")
    else:
        start(prospect, campaign, client, form)

    prospect.complete(with_own_email(scenario["answers"], campaign))

    assert prospect.sent_away == expected["redirect"]
    if not expected["redirect"]:
        thanks = prospect.page.locator(".fs-thanks")
        expect(thanks).to_have_attribute("data-track", expected["route"])
    assert not scenario.get("known_fields", set()) & set(prospect.shown)
    [submission] = stored(live_server, campaign, client, form)
    tag = {
        "path": submission["path"],
        "segment": submission["segment"],
        "tier": submission["tier"],
        "score": submission["score"],
        "route": submission["route"],
        "reasons": sorted(reason["rule"] for reason in submission["tag"]["reasons"]),
    }
    assert tag == {key: expected[key] for key in tag}
    assert submission["captured"] == {"utm_source": "e2e", "utm_campaign": campaign}
    assert not submission["spam"], submission["spam_reasons"]


@JAVASCRIPT
def test_back_keeps_what_was_typed_on_both_steps(prospect, campaign):
    page = prospect.page
    start(prospect, campaign)
    prospect.fill({"role": "investor"})
    prospect.send()
    prospect.fill(INVESTMENT)

    prospect.press("Back")

    assert prospect.step == "role"
    expect(page.locator("#f-role input[value=investor]")).to_be_checked()
    prospect.send()
    assert prospect.step == "investment"
    expect(page.locator("#f-ticket_size")).to_have_value("2.5m")
    expect(page.locator("#f-asset_classes input[value=office]")).to_be_checked()
    expect(page.locator("#f-asset_classes input[value=retail]")).not_to_be_checked()
    expect(page.locator("#f-markets")).to_have_value("london")


@JAVASCRIPT
@pytest.mark.parametrize(
    ("answers", "lands_on", "status"),
    [(INVESTMENT, "contact", 200), ({"ticket_size": "2.5m"}, "investment", 422)],
    ids=["complete-step", "missing-answers"],
)
def test_enter_in_a_text_field_goes_forward_never_back(
    prospect, campaign, answers, lands_on, status
):
    page = prospect.page
    start(prospect, campaign)
    prospect.complete({"role": "investor"}, until="investment")
    prospect.fill(answers)

    with page.expect_navigation() as navigation:
        page.locator("#f-ticket_size").press("Enter")

    assert navigation.value.status == status
    assert prospect.step == lands_on


def test_back_is_drawn_left_of_continue_but_reached_after_it(prospect, campaign):
    page = prospect.page
    start(prospect, campaign)
    prospect.complete({"role": "investor"}, until="investment")
    back = page.get_by_role("button", name="Back")
    forward = page.get_by_role("button", name="Continue")

    page.locator("#f-markets").focus()
    page.keyboard.press("Tab")
    expect(forward).to_be_focused()
    page.keyboard.press("Tab")
    expect(back).to_be_focused()
    assert back.bounding_box()["x"] < forward.bounding_box()["x"]


@JAVASCRIPT
def test_back_from_the_last_step_keeps_its_unsent_answers(prospect, campaign):
    page = prospect.page
    start(prospect, campaign)
    prospect.complete({"role": "investor", **INVESTMENT}, until="contact")
    prospect.fill({"full_name": "Ann Lee", "email": "not yet sent"})

    prospect.press("Back")

    assert prospect.step == "investment"
    # A step already accepted comes back as the server read it: 2.5m is 2500000.
    expect(page.locator("#f-ticket_size")).to_have_value("2500000")
    expect(page.locator("#f-markets")).to_have_value("london")
    prospect.send()
    assert prospect.step == "contact"
    expect(page.locator("#f-full_name")).to_have_value("Ann Lee")
    expect(page.locator("#f-email")).to_have_value("not yet sent")


@JAVASCRIPT
def test_invalid_answers_show_a_summary_linking_to_each_field(
    prospect, live_server, campaign, javascript
):
    page = prospect.page
    start(prospect, campaign)
    prospect.fill({"role": "investor"})
    prospect.send()
    prospect.fill({"ticket_size": "lots", "markets": "london"})

    response = prospect.send()

    assert response.status == 422
    assert prospect.step == "investment"
    summary = page.locator("#fs-errors")
    expect(summary).to_be_visible()
    if javascript:
        expect(summary).to_be_focused()
    first_in_page = page.locator("#fs-errors, form.fs-form").first
    expect(first_in_page).to_have_id("fs-errors")
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    for field_id in ("ticket_size", "asset_classes"):
        link = summary.locator(f'a[href="#f-{field_id}"]')
        message = page.locator(f"#w-{field_id} #f-{field_id}-error")
        expect(message).to_contain_text(link.inner_text())
        link.click()
        expect(page.locator(f"#f-{field_id}")).to_be_focused()
    ticket = page.locator("#f-ticket_size")
    expect(ticket).to_have_value("lots")
    expect(ticket).to_have_attribute("aria-invalid", "true")
    expect(ticket).to_have_attribute(
        "aria-describedby", "f-ticket_size-help f-ticket_size-error"
    )
    expect(page.locator("#f-markets")).to_have_value("london")
    assert stored(live_server, campaign) == []


#: The page's cumulative layout shift, as Chromium measures it: every shift
#: not caused by the prospect's own input, buffered from the start of the load.
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (!entry.hadRecentInput) total += entry.value;
    }
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 500);
})"""


def test_a_step_sent_back_with_errors_does_not_shift_as_it_loads(prospect, campaign):
    page = prospect.page
    page.set_viewport_size({"width": 375, "height": 667})
    start(prospect, campaign)
    prospect.fill({"role": "investor"})
    prospect.send()
    prospect.fill({"ticket_size": "lots"})

    response = prospect.send()

    assert response.status == 422
    assert page.evaluate(LAYOUT_SHIFT) < 0.01


def test_a_visible_if_field_follows_its_condition_within_the_step(prospect, campaign):
    page = prospect.page
    start(prospect, campaign)
    prospect.fill({"role": "investor"})
    prospect.send()
    other = page.locator("#w-asset_other")
    something_else = page.get_by_label("Something else")

    expect(other).to_be_hidden()
    something_else.check()
    expect(other).to_be_visible()
    expect(page.get_by_label("Which other asset class?")).to_be_enabled()
    something_else.uncheck()
    expect(other).to_be_hidden()
    page.get_by_label("Retail").check()
    expect(other).to_be_hidden()
    something_else.check()
    expect(other).to_be_visible()


@JAVASCRIPT
@pytest.mark.parametrize(
    ("classes", "kept"),
    [(["office", "other"], "Data centres"), (["office"], None)],
    ids=["condition-holds", "condition-fails"],
)
def test_a_visible_if_answer_is_stored_only_while_its_condition_holds(
    prospect, live_server, campaign, contact, classes, kept
):
    start(prospect, campaign)
    prospect.complete({"role": "investor"}, until="investment")
    prospect.fill({"asset_classes": ["other"], "asset_other": "Data centres"})

    prospect.complete({**INVESTMENT, "asset_classes": classes, **contact})

    [submission] = stored(live_server, campaign)
    assert submission["answers"]["asset_classes"] == classes
    assert submission["answers"]["asset_other"] == kept


@JAVASCRIPT
def test_reloading_a_step_page_resumes_it(prospect, live_server, campaign, contact):
    page = prospect.page
    start(prospect, campaign)
    prospect.complete({"role": "investor", **INVESTMENT}, until="contact")

    page.reload()

    assert prospect.step == "contact"
    expect(page.locator(".fs-progress")).to_contain_text("Step 3 of 3")
    prospect.press("Back")
    expect(page.locator("#f-ticket_size")).to_have_value("2500000")
    page.reload()
    assert prospect.step == "investment"
    prospect.complete(contact)
    [submission] = stored(live_server, campaign)
    assert submission["path"] == ["role", "investment", "contact"]
    assert submission["answers"]["ticket_size"] == 2_500_000


@JAVASCRIPT
@pytest.mark.parametrize(
    ("ticket", "tier"), [("2.5m", "warm"), ("9m", "hot")], ids=["thanks", "redirect"]
)
def test_sending_the_last_step_twice_stores_one_submission(
    prospect, live_server, base_url, campaign, contact, ticket, tier
):
    page = prospect.page
    start(prospect, campaign)
    answers = {"role": "investor", **INVESTMENT, "ticket_size": ticket, **contact}
    prospect.complete(answers, until="contact")
    prospect.fill(answers)
    with page.expect_request(lambda r: r.method == "POST") as sent:
        prospect.send()
    finished_at = prospect.sent_away or page.url

    again = page.request.post(
        sent.value.url,
        headers={"Content-Type": sent.value.headers["content-type"]},
        data=sent.value.post_data,
        max_redirects=0,
    )
    page.go_back()

    assert again.status == 303
    sent_to = urljoin(base_url, again.headers["location"])
    if tier == "hot":
        assert sent_to == finished_at
    else:
        assert sent_to.startswith(f"{base_url}/f/acme-realty/property-enquiry?t=")
    expect(page.locator(".fs-thanks")).to_be_visible()
    [submission] = stored(live_server, campaign)
    assert submission["tier"] == tier
