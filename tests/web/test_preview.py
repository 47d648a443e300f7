"""The marketer's preview: conditions, path, score and tier for given answers."""

import json
import re

import pytest

from formserver.app import create_app
from formserver.cli import main

from ..conftest import app_config, step_of, token_of

PREVIEW = "/preview/acme-realty/property-enquiry"


def marketer_config(tmp_path, specs_dir, **more):
    return app_config(
        tmp_path, specs_dir, **{"FORMSERVER_MARKETER_TOKEN": "marketer-key", **more}
    )


@pytest.fixture
def marketer_app(tmp_path, specs_dir):
    return create_app(marketer_config(tmp_path, specs_dir))


@pytest.fixture
def marketer(marketer_app):
    return marketer_app.test_client()


def test_the_preview_needs_the_marketer_key(marketer, client):
    assert marketer.get(PREVIEW).status_code == 404
    assert marketer.get(PREVIEW + "?key=wrong").status_code == 404
    assert client.get(PREVIEW + "?key=anything").status_code == 404
    assert marketer.get(PREVIEW + "?key=marketer-key").status_code == 200


def test_the_preview_shows_path_reasons_tier_and_route(marketer):
    query = "key=marketer-key&role=investor&ticket_size=6m&asset_classes=office"

    html = marketer.get(f"{PREVIEW}?{query}").get_data(as_text=True)

    assert '<dd id="path">role → investment → contact</dd>' in html
    assert '<dd id="score">70</dd>' in html
    assert '<dd id="tier">hot</dd>' in html
    assert '<dd id="route">investor-desk</dd>' in html
    assert "Ticket of 5m or more (+50)" in html
    assert "the segment is Investor" in html


def test_the_preview_takes_a_known_profile(marketer):
    query = "key=marketer-key&role=developer&profile.project_stage=consented"

    html = marketer.get(f"{PREVIEW}?{query}").get_data(as_text=True)

    assert '<dd id="score">40</dd>' in html
    assert "Consented scheme (+40)" in html


def test_the_preview_draws_the_graph_and_keeps_the_key_in_its_form(marketer):
    html = marketer.get(f"{PREVIEW}?key=marketer-key").get_data(as_text=True)

    assert "<svg" in html
    assert 'name="key" value="marketer-key"' in html


def test_a_broken_edit_shows_its_problems_while_the_old_version_serves(
    marketer, specs_dir
):
    assert marketer.get(f"{PREVIEW}?key=marketer-key").status_code == 200
    (specs_dir / "acme-realty/property-enquiry.json").write_text('{"title": 5}')

    html = marketer.get(f"{PREVIEW}?key=marketer-key").get_data(as_text=True)

    assert "the last good version keeps serving" in html
    assert "should be text in quotes" in html
    index = marketer.get("/preview/?key=marketer-key").get_data(as_text=True)
    assert "the file on disk is broken; the last good version is serving" in index


def test_a_test_run_from_the_preview_is_kept_out_of_leads_and_hand_offs(
    marketer, marketer_app
):
    from .test_prospects import INVESTOR, complete

    html = marketer.get(f"{PREVIEW}?key=marketer-key").get_data(as_text=True)
    start = re.search(r'<a href="([^"]+)">Try it as a prospect', html).group(1)
    start = start.replace("&amp;", "&")
    assert "test=" in start

    complete(marketer, INVESTOR, start=start)

    storage = marketer_app.extensions["formserver"].storage
    [submission] = storage.submissions()
    assert submission["is_test"] == 1
    assert submission["lead_id"] is None
    assert list(storage.leads("acme-realty")) == []
    assert list(storage.db.query("SELECT * FROM events")) == []
    assert json.loads(json.dumps(submission["tag"]))["tier"] == "warm"


def test_a_broken_spec_met_first_by_a_new_process_serves_the_archived_version(
    tmp_path, specs_dir, marketer, marketer_app, caplog
):
    first = marketer.get("/f/acme-realty/property-enquiry")
    assert first.status_code == 200
    catalog = marketer_app.extensions["formserver"].catalog
    version = catalog.spec("acme-realty", "property-enquiry").version
    (specs_dir / "acme-realty/property-enquiry.json").write_text('{"title": 5}')

    restarted = create_app(marketer_config(tmp_path, specs_dir)).test_client()
    form = restarted.get("/f/acme-realty/property-enquiry")
    preview = restarted.get(f"{PREVIEW}?key=marketer-key").get_data(as_text=True)

    assert form.status_code == 200
    assert step_of(form) == "role"
    assert "Find your next commercial property" in form.get_data(as_text=True)
    assert "the last good version keeps serving" in preview
    assert "should be text in quotes" in preview
    assert f"the last good version {version} keeps serving" in caplog.text


def test_a_broken_client_file_met_first_by_a_new_process_keeps_its_branding(
    tmp_path, specs_dir, marketer, marketer_app, runner, caplog
):
    path = specs_dir / "acme-realty/client.json"
    document = json.loads(path.read_text())
    document["name"] = "Acme Realty Group"
    document["branding"]["color"] = "#aa3300"
    path.write_text(json.dumps(document))
    assert marketer.get("/f/acme-realty/property-enquiry").status_code == 200
    version = (
        marketer_app.extensions["formserver"].catalog.client("acme-realty").version
    )
    path.write_text('{"name": ')

    restarted = create_app(marketer_config(tmp_path, specs_dir)).test_client()
    form = restarted.get("/f/acme-realty/property-enquiry")
    theme = restarted.get("/c/acme-realty/theme.css").get_data(as_text=True)
    check = runner.invoke(main, ["check", str(specs_dir)])

    assert form.status_code == 200
    assert "Acme Realty Group" in form.get_data(as_text=True)
    assert "#aa3300" in theme
    assert f"the last good version {version} keeps serving" in caplog.text
    assert check.exit_code == 1
    assert str(path) in check.output


def test_a_broken_client_file_with_nothing_archived_takes_its_forms_down(
    tmp_path, specs_dir
):
    (specs_dir / "acme-realty/client.json").write_text('{"name": ')
    config = marketer_config(
        tmp_path, specs_dir, FORMSERVER_DB=str(tmp_path / "new.db")
    )

    fresh = create_app(config).test_client()

    assert fresh.get("/f/acme-realty/property-enquiry").status_code == 404
    assert fresh.get("/c/acme-realty/theme.css").status_code == 404


def test_the_preview_names_a_broken_client_file_while_its_last_version_serves(
    marketer, specs_dir
):
    assert marketer.get(f"{PREVIEW}?key=marketer-key").status_code == 200
    path = specs_dir / "acme-realty/client.json"
    path.write_text('{"name": 7}')

    page = marketer.get(f"{PREVIEW}?key=marketer-key")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "the last good version keeps serving" in html
    assert f"{path}:/name" in html


def test_the_preview_of_a_client_that_cannot_be_served_says_why(tmp_path, specs_dir):
    path = specs_dir / "acme-realty/client.json"
    path.write_text('{"name": 7}')
    config = marketer_config(
        tmp_path, specs_dir, FORMSERVER_DB=str(tmp_path / "new.db")
    )

    page = create_app(config).test_client().get(f"{PREVIEW}?key=marketer-key")

    assert page.status_code == 422
    assert "no earlier good version is known" in page.get_data(as_text=True)
    assert f"{path}:/name" in page.get_data(as_text=True)


# Opening a step from the preview.

INVESTOR_QUERY = (
    "key=marketer-key&role=investor&ticket_size=2m&asset_classes=office"
    "&markets=europe&full_name=Ann+Lee"
)


def step_link(html, step_id):
    match = re.search(rf'<a href="([^"]+)" id="open-{step_id}">', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_a_step_opens_in_a_test_run_with_the_answers_before_it(marketer, marketer_app):
    from .test_prospects import CONTACT, follow

    html = marketer.get(f"{PREVIEW}?{INVESTOR_QUERY}").get_data(as_text=True)

    page = follow(marketer, marketer.get(step_link(html, "contact")))
    assert step_of(page) == "contact"
    assert 'value="Ann Lee"' in page.get_data(as_text=True)
    data = {"_t": token_of(page), "_step": "contact", "_action": "next", **CONTACT}
    marketer.post("/f/acme-realty/property-enquiry", data=data)
    storage = marketer_app.extensions["formserver"].storage
    [submission] = storage.submissions()
    assert submission["is_test"] == 1
    assert submission["lead_id"] is None
    assert submission["path"] == ["role", "investment", "contact"]
    assert submission["answers"]["ticket_size"] == 2_000_000
    assert submission["tier"] == "warm"
    assert list(storage.leads("acme-realty")) == []


def test_a_known_profile_answers_what_the_test_run_asks_before_the_step(marketer):
    from .test_prospects import follow

    query = (
        "key=marketer-key&role=investor&profile.ticket_size=9m"
        "&profile.asset_classes=office&profile.markets=london"
    )
    html = marketer.get(f"{PREVIEW}?{query}").get_data(as_text=True)

    page = follow(marketer, marketer.get(step_link(html, "contact")))

    assert step_of(page) == "contact"


def test_only_steps_on_the_path_have_a_link(marketer):
    html = marketer.get(f"{PREVIEW}?{INVESTOR_QUERY}").get_data(as_text=True)

    links = {s: step_link(html, s) for s in ("role", "investment", "project")}

    assert links["role"] and links["investment"]
    assert links["project"] is None
    assert "Not on the path with these answers" in html
    assert "key=marketer-key" in links["investment"]


@pytest.mark.parametrize(
    ("query", "step_id", "notice"),
    [
        (
            "role=investor",
            "contact",
            "cannot reach contact: on step investment, Typical ticket size (GBP):"
            " Please fill in",
        ),
        (INVESTOR_QUERY, "project", "the form goes role → investment → contact."),
    ],
)
def test_a_step_the_answers_cannot_reach_says_why_and_stores_nothing(
    marketer, marketer_app, query, step_id, notice
):
    url = f"{PREVIEW}/steps/{step_id}?key=marketer-key&{query}"

    response = marketer.get(url)

    assert response.status_code == 422
    assert notice in response.get_data(as_text=True)
    storage = marketer_app.extensions["formserver"].storage
    assert list(storage.db.query("SELECT id FROM partials")) == []


def test_a_step_the_form_does_not_have_is_not_found(marketer):
    response = marketer.get(f"{PREVIEW}/steps/nowhere?key=marketer-key")

    assert response.status_code == 404


# Who may open the preview.


def test_the_preview_opens_without_a_key_in_debug(tmp_path, specs_dir):
    config = marketer_config(
        tmp_path, specs_dir, TESTING=False, DEBUG=True, FORMSERVER_MARKETER_TOKEN=""
    )
    debugging = create_app(config).test_client()

    assert debugging.get("/preview/").status_code == 200
    assert debugging.get(PREVIEW).status_code == 200
    html = debugging.get(f"{PREVIEW}?{INVESTOR_QUERY}").get_data(as_text=True)
    assert debugging.get(step_link(html, "contact")).status_code == 303


@pytest.mark.parametrize(
    "path", ["/preview/", PREVIEW, f"{PREVIEW}/steps/role?role=investor"]
)
def test_outside_debug_every_preview_page_needs_the_key(
    tmp_path, specs_dir, marketer, path
):
    config = marketer_config(tmp_path, specs_dir, TESTING=False)
    production = create_app(config).test_client()

    assert production.get(path).status_code == 404
    assert marketer.get(path).status_code == 404
    joiner = "&" if "?" in path else "?"
    assert marketer.get(f"{path}{joiner}key=marketer-key").status_code in (200, 303)


# The conditions table.


def test_the_conditions_table_says_which_conditions_held(marketer):
    html = marketer.get(f"{PREVIEW}?{INVESTOR_QUERY}").get_data(as_text=True)

    rows = {
        (kind, where): (held_class, held)
        for held_class, kind, where, held in re.findall(
            r'<tr class="(fs-[a-z-]+)"><td>([^<]+)</td><td>([^<]+)</td>'
            r"<td>[^<]*</td><td>(yes|no)</td></tr>",
            html,
        )
    }

    assert rows[("segment", "Investor")] == ("fs-held", "yes")
    assert rows[("segment", "Developer")] == ("fs-not-held", "no")
    assert rows[("branch", "role → investment")] == ("fs-held", "yes")
    assert rows[("branch", "role → project")] == ("fs-not-held", "no")
    assert rows[("score", "Ticket between 1m and 5m (+25)")] == ("fs-held", "yes")
    assert rows[("score", "Ticket of 5m or more (+50)")] == ("fs-not-held", "no")
    assert rows[("knock-out", "Ticket under the 250k minimum")][1] == "no"
