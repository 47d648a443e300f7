"""The marketer's preview: conditions, path, score and tier for given answers."""

import json
import re

import pytest

from formserver.app import create_app

from ..conftest import SECRET

PREVIEW = "/preview/acme-realty/property-enquiry"


@pytest.fixture
def marketer_app(tmp_path, specs_dir):
    return create_app(
        {
            "TESTING": True,
            "FORMSERVER_SECRET_KEY": SECRET,
            "FORMSERVER_SPECS": str(specs_dir),
            "FORMSERVER_DB": str(tmp_path / "formserver.db"),
            "FORMSERVER_MARKETER_TOKEN": "marketer-key",
            "FORMSERVER_MIN_FILL_SECONDS": 0,
        }
    )


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
