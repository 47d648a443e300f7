"""A spec edited while prospects are mid-form: they finish on the version they began."""

import json
import shutil
import urllib.request
import uuid

import pytest

from .conftest import LiveServer
from .prospect import Prospect, read_only

INVESTOR = {
    "role": "investor",
    "ticket_size": "2m",
    "asset_classes": ["office"],
    "markets": "europe",
    "full_name": "Ann Lee",
    "consent": True,
}


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("versions_server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def edit_spec(server, change):
    path = server.specs / "acme-realty/property-enquiry.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def rename_warm_route(document):
    investor = document["segments"][0]
    investor["routes"]["warm"]["thank_you"] = "Thank you. This is the new version."


def test_a_prospect_mid_form_keeps_the_old_version_and_newcomers_get_the_new(
    browser, own_server
):
    contexts = [browser.new_context() for _ in range(2)]
    try:
        early, late = (Prospect(c.new_page(), own_server.url) for c in contexts)
        early.start("acme-realty", "property-enquiry", utm_campaign="early")
        early.complete(INVESTOR, until="contact")

        edit_spec(own_server, rename_warm_route)
        late.start("acme-realty", "property-enquiry", utm_campaign="late")
        late.complete(dict(INVESTOR, email=f"late+{uuid.uuid4().hex}@example.com"))
        early.complete(dict(INVESTOR, email=f"early+{uuid.uuid4().hex}@example.com"))

        early_text = early.page.locator(".fs-thanks").inner_text()
        late_text = late.page.locator(".fs-thanks").inner_text()
    finally:
        for context in contexts:
            context.close()

    assert "matching opportunities" in early_text
    assert "This is the new version." in late_text
    with read_only(own_server.db) as connection:
        rows = connection.execute(
            "SELECT json_extract(captured, '$.utm_campaign') AS campaign, version"
            " FROM submissions ORDER BY submitted_at"
        ).fetchall()
    versions = {row["campaign"]: row["version"] for row in rows}
    assert versions["early"] != versions["late"]


def test_a_broken_edit_keeps_the_last_good_version_serving(browser, own_server):
    edit_spec(own_server, lambda document: document.update(steps="not a list"))
    context = browser.new_context()
    try:
        prospect = Prospect(context.new_page(), own_server.url)
        prospect.start("acme-realty", "property-enquiry")
        step = prospect.step
    finally:
        context.close()

    assert step == "role"
    assert "is broken" in own_server.log_text()


def test_a_broken_edit_met_after_a_restart_serves_the_last_good_version(
    browser, tmp_path
):
    before = LiveServer(tmp_path / "before")
    before.start()
    try:
        with urllib.request.urlopen(f"{before.url}/f/acme-realty/property-enquiry"):
            pass
    finally:
        before.stop()
    edit_spec(before, lambda document: document.update(steps="not a list"))
    after = LiveServer(tmp_path / "after", specs=before.specs)
    after.folder.mkdir()
    for stored in before.folder.glob(f"{before.db.name}*"):
        shutil.copy(stored, after.folder / stored.name)

    after.start()
    context = browser.new_context()
    try:
        prospect = Prospect(context.new_page(), after.url)
        prospect.start("acme-realty", "property-enquiry")
        prospect.complete(dict(INVESTOR, email=f"ann+{uuid.uuid4().hex}@example.com"))
        thanks = prospect.page.locator(".fs-thanks").inner_text()
    finally:
        context.close()
        after.stop()

    assert "matching opportunities" in thanks
    assert "the last good version" in after.log_text()
    with read_only(after.db) as connection:
        [stored] = connection.execute("SELECT version FROM submissions").fetchall()
        [known] = connection.execute("SELECT version FROM spec_versions").fetchall()
    assert stored["version"] == known["version"]
