"""Security headers on every response of every route, errors included.

One sweep requests every route of the app's URL map in its ordinary and its
error states; a route added without a case here fails the coverage test.
"""

import json
from dataclasses import dataclass

import pytest
from werkzeug.exceptions import HTTPException

from formserver.ratelimit import Verdict
from formserver.web import prospects

from ..conftest import token_of
from .test_prospects import FORM, INVESTOR, follow, post_step

PREVIEW_KEY = "marketer-key-for-the-header-sweep"
#: Public, cacheable assets that can never hold an answer.
ASSETS = {"static", "prospects.theme", "prospects.embed_script"}


@dataclass
class Swept:
    """One response of the sweep, and what it is."""

    name: str
    endpoint: str | None
    response: object
    form_page: bool = False

    @property
    def headers(self):
        return self.response.headers

    @property
    def may_hold_answers(self):
        return not (self.endpoint in ASSETS and self.response.status_code == 200)


class RefuseEveryAnswer:
    def hit(self, address, form_key):
        return Verdict(False, 30)


@pytest.fixture
def sweep(app, client, storage, specs_dir, monkeypatch):
    """Every route of the app, requested in each state it has."""
    app.config["FORMSERVER_MARKETER_TOKEN"] = PREVIEW_KEY
    (specs_dir / "acme-realty" / "broken.json").write_text('{"title": "No steps"}')
    adapter = app.url_map.bind("localhost")
    found = []

    def request(name, method, path, form_page=False, **kwargs):
        response = client.open(path, method=method, **kwargs)
        # Read and closed here: a file response left open warns at exit.
        response.get_data()
        response.close()
        found.append(
            Swept(name, endpoint_of(adapter, method, path), response, form_page)
        )
        return response

    first = request("first step", "GET", FORM, form_page=True)
    data = {"_t": token_of(first), "_step": "role"}
    request("step with errors", "POST", FORM, True, data={**data, "role": "x"})
    accepted = request(
        "answer accepted", "POST", FORM, True, data={**data, "role": "investor"}
    )
    later = request("later step", "GET", accepted.headers["Location"], True)
    done = post_step(client, later, INVESTOR["investment"])
    done = post_step(client, follow(client, done), INVESTOR["contact"])
    request("thank-you page", "GET", done.headers["Location"], True)
    request("bad token", "GET", f"{FORM}?t=forged", True)
    request("too large", "POST", FORM, True, data={"role": "x" * 400_000})
    request("unknown form", "GET", "/f/nobody/nothing")
    with monkeypatch.context() as patched:
        patched.setattr(app.extensions["formserver"], "limits", RefuseEveryAnswer())
        request("rate limited", "POST", FORM, True, data=data)
    with monkeypatch.context() as patched:
        patched.setattr(prospects.formstate, "read_token", explode)
        request("server error", "GET", f"{FORM}?t=any", True)

    request("static file", "GET", "/static/css/form.css")
    request("theme", "GET", "/c/acme-realty/theme.css")
    request("theme of no client", "GET", "/c/nobody/theme.css")
    request("embed script", "GET", "/embed.js")
    request("no such page", "GET", "/nowhere")
    request("wrong method", "DELETE", "/embed.js")

    key = f"key={PREVIEW_KEY}"
    request("preview index", "GET", f"/preview/?{key}")
    request(
        "preview", "GET", f"/preview/acme-realty/property-enquiry?{key}&role=investor"
    )
    request("broken preview", "GET", f"/preview/acme-realty/broken?{key}")
    request(
        "preview step",
        "GET",
        f"/preview/acme-realty/property-enquiry/steps/investment?{key}&role=investor",
    )
    request("preview without key", "GET", "/preview/acme-realty/property-enquiry")

    lead = storage.lead_by_email("acme-realty", "ann@example.com")
    auth = {"Authorization": f"Bearer {storage.create_api_token('acme-realty', 'h')}"}
    request("openapi", "GET", "/api/v1/openapi.json")
    request("leads", "GET", "/api/v1/leads", headers=auth)
    request("lead", "GET", f"/api/v1/leads/{lead['id']}", headers=auth)
    request("no such lead", "GET", "/api/v1/leads/lead_nobody", headers=auth)
    request("csv export", "GET", "/api/v1/leads/export?format=csv", headers=auth)
    request("jsonl export", "GET", "/api/v1/leads/export?format=jsonl", headers=auth)
    outcome = f"/api/v1/leads/{lead['id']}/outcome"
    request("outcome", "POST", outcome, headers=auth, json={"status": "converted"})
    request("outcome without token", "POST", outcome, json={"status": "converted"})
    request("api wrong method", "GET", outcome, headers=auth)
    request("no such endpoint", "GET", "/api/v1/nowhere", headers=auth)
    return found


def explode(*args, **kwargs):
    raise RuntimeError("a bug in the token reader")


def endpoint_of(adapter, method, path):
    try:
        endpoint, _ = adapter.match(path.split("?")[0], method=method)
    except HTTPException:
        return None
    return endpoint


def test_the_sweep_reaches_every_route_and_every_kind_of_answer(app, sweep):
    routes = {rule.endpoint for rule in app.url_map.iter_rules()}
    statuses = {swept.response.status_code for swept in sweep}

    assert routes - {swept.endpoint for swept in sweep} == set()
    assert {200, 201, 303, 400, 401, 404, 405, 413, 422, 429, 500} <= statuses


def test_every_response_has_a_strict_policy_no_referrer_and_nosniff(sweep):
    for swept in sweep:
        policy = swept.headers.get("Content-Security-Policy", "")

        assert "default-src 'none'" in policy, swept.name
        assert "script-src 'self';" in policy, swept.name
        assert "unsafe" not in policy, swept.name
        assert swept.headers.get("Referrer-Policy") == "no-referrer", swept.name
        assert swept.headers.get("X-Content-Type-Options") == "nosniff", swept.name


def test_no_response_that_may_hold_answers_is_kept_by_a_cache(sweep):
    exempt = [s.name for s in sweep if not s.may_hold_answers]

    for swept in sweep:
        if swept.may_hold_answers:
            assert swept.headers.get("Cache-Control") == "no-store", swept.name
    assert exempt == ["static file", "theme", "embed script"]


def test_only_form_pages_may_be_framed_and_only_by_the_clients_origins(
    sweep, specs_dir
):
    client = json.loads((specs_dir / "acme-realty" / "client.json").read_text())

    for swept in sweep:
        policy = swept.headers["Content-Security-Policy"]
        ancestors = policy.split("frame-ancestors ", 1)[1].split(";")[0].split()

        if swept.form_page:
            assert "X-Frame-Options" not in swept.headers, swept.name
            assert ancestors == ["'self'", *client["embed_origins"]], swept.name
        else:
            assert swept.headers.get("X-Frame-Options") == "DENY", swept.name
            assert ancestors == ["'none'"], swept.name
