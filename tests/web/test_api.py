import csv
import io
import json
import re

import pytest

from formserver.web.openapi import DOCUMENT

from .test_prospects import FORM, INVESTOR, complete

CLIENT = "acme-realty"
OTHER = "northwind-software"
HOT = {"ticket_size": "9m", "asset_classes": ["office"], "markets": "london"}


def make_lead(app, storage, email, start=FORM, investment=None, name="Ann Lee"):
    """Complete the real form as a new prospect (a browser of their own)."""
    answers = dict(
        INVESTOR,
        investment=investment or INVESTOR["investment"],
        contact=dict(INVESTOR["contact"], email=email, full_name=name),
    )
    complete(app.test_client(), answers, start=start)
    return storage.lead_by_email(CLIENT, email)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token(storage):
    return storage.create_api_token(CLIENT, "crm sync")


@pytest.fixture
def other_token(storage):
    return storage.create_api_token(OTHER, "another client")


@pytest.fixture
def api(client, token):
    """Call the API as the acme-realty CRM."""

    def call(method, path, **kwargs):
        headers = {**bearer(token), **kwargs.pop("headers", {})}
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


@pytest.fixture
def ann(app, storage):
    return make_lead(app, storage, "ann@example.com", start=FORM + "?utm_source=news")


def test_listing_answers_the_clients_leads_with_their_tags(api, ann):
    response = api("GET", "/api/v1/leads")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["next_cursor"] is None
    [lead] = body["leads"]
    assert lead["id"] == ann["id"]
    assert lead["email"] == "ann@example.com"
    assert (lead["tier"], lead["segment"], lead["route"]) == (
        "warm",
        "investor",
        "investor-nurture",
    )
    assert [r["rule"] for r in lead["tag"]["reasons"]] == ["ticket-mid", "core-assets"]
    assert lead["profile"]["ticket_size"] == 2000000
    assert lead["outcome"] is None


def test_lead_detail_has_submissions_profile_history_and_outcomes(api, ann):
    api("POST", f"/api/v1/leads/{ann['id']}/outcome", json={"status": "open"})

    response = api("GET", f"/api/v1/leads/{ann['id']}")

    assert response.status_code == 200
    lead = response.get_json()["lead"]
    [submission] = lead["submissions"]
    assert submission["form"] == "property-enquiry"
    assert submission["captured"] == {"utm_source": "news"}
    assert submission["tag"]["tier"] == "warm"
    assert submission["is_test"] is False
    assert "project_stage" not in submission["answers"]
    history = {row["key"]: row for row in lead["profile_history"]}
    assert history["ticket_size"]["value"] == 2000000
    assert history["ticket_size"]["step"] == "investment"
    assert history["ticket_size"]["current"] is True
    assert [o["status"] for o in lead["outcomes"]] == ["open"]


def test_recording_an_outcome_updates_the_lead_and_writes_its_event(api, storage, ann):
    response = api(
        "POST",
        f"/api/v1/leads/{ann['id']}/outcome",
        json={"status": "disqualified", "reason": "  Budget below minimum  "},
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["outcome"]["status"] == "disqualified"
    assert body["outcome"]["reason"] == "Budget below minimum"
    assert body["lead"]["outcome"] == "disqualified"
    assert storage.lead(ann["id"])["outcome"] == "disqualified"
    [event] = storage.db.query(
        "SELECT * FROM events WHERE type = 'outcome.recorded' AND lead_id = ?",
        [ann["id"]],
    )
    payload = json.loads(event["payload"])
    assert event["client"] == CLIENT
    assert payload["data"]["outcome"]["id"] == body["outcome"]["id"]
    assert payload["data"]["outcome"]["reason"] == "Budget below minimum"
    assert payload["data"]["lead"]["outcome"] == "disqualified"


def test_an_outcome_of_a_test_only_lead_sends_no_event(api, storage, ann):
    storage.db.execute("UPDATE submissions SET is_test = 1")

    response = api(
        "POST", f"/api/v1/leads/{ann['id']}/outcome", json={"status": "converted"}
    )

    assert response.status_code == 201
    assert storage.lead(ann["id"])["outcome"] == "converted"
    events = storage.db.execute(
        "SELECT count(*) FROM events WHERE type = 'outcome.recorded'"
    ).fetchone()[0]
    assert events == 0


@pytest.fixture
def three_leads(app, storage, ann):
    bo = make_lead(
        app,
        storage,
        "bo@example.com",
        start=FORM + "?utm_source=ads",
        investment=HOT,
    )
    cy = make_lead(app, storage, "cy@example.com")
    storage.db.execute(
        "UPDATE leads SET created_at = '2024-03-01T12:00:00.000000+00:00' WHERE id = ?",
        [ann["id"]],
    )
    storage.db.execute(
        "UPDATE submissions SET submitted_at = '2024-03-02T08:00:00.000000+00:00'"
        " WHERE lead_id = ?",
        [ann["id"]],
    )
    storage.db.execute(
        "UPDATE submissions SET is_test = 1 WHERE lead_id = ?", [cy["id"]]
    )
    return {"ann": ann["id"], "bo": bo["id"], "cy": cy["id"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["ann", "bo"]),
        ("include_tests=true", ["ann", "bo", "cy"]),
        ("include_tests=false", ["ann", "bo"]),
        ("tier=hot", ["bo"]),
        ("tier=warm&include_tests=true", ["ann", "cy"]),
        ("segment=investor", ["ann", "bo"]),
        ("segment=developer", []),
        ("route=investor-nurture", ["ann"]),
        ("source=news", ["ann"]),
        ("source=ads", ["bo"]),
        ("source=nowhere", []),
        ("created_since=2024-03-01", ["ann", "bo"]),
        ("created_since=2024-03-02", ["bo"]),
        ("created_until=2024-03-01", ["ann"]),
        ("created_until=2024-02-29", []),
        ("created_until=2024-03-01T12:00:00Z", ["ann"]),
        ("created_until=2024-03-01T11:59:59.999999Z", []),
        ("created_until=2024-03-01T12:00:00.000000999Z", ["ann"]),
        ("created_since=2024-03-01T13:00:00%2B01:00", ["ann", "bo"]),
        ("created_since=2024-03-01T13:00:01%2B01:00", ["bo"]),
        ("submitted_since=2024-03-02&submitted_until=2024-03-02", ["ann"]),
        ("submitted_until=2024-03-01", []),
        ("source=news&submitted_since=2024-03-03", []),
    ],
)
def test_filters_narrow_the_listing(api, three_leads, query, expected):
    response = api("GET", f"/api/v1/leads?{query}")

    assert response.status_code == 200, response.get_json()
    ids = [lead["id"] for lead in response.get_json()["leads"]]
    assert ids == [three_leads[name] for name in expected]


def test_cursor_pagination_walks_every_lead_once_in_order(app, storage, api):
    made = [make_lead(app, storage, f"p{n}@example.com")["id"] for n in range(7)]
    seen, cursor, pages = [], None, 0

    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        body = api("GET", "/api/v1/leads", query_string=query).get_json()
        seen += [lead["id"] for lead in body["leads"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == made
    assert len(set(seen)) == len(made)


def test_a_lead_created_mid_walk_appears_on_a_later_page(app, storage, api):
    first = [make_lead(app, storage, f"p{n}@example.com")["id"] for n in range(2)]
    page = api("GET", "/api/v1/leads?limit=1").get_json()
    late = make_lead(app, storage, "late@example.com")["id"]

    rest = api(
        "GET", "/api/v1/leads", query_string={"cursor": page["next_cursor"]}
    ).get_json()

    assert [lead["id"] for lead in page["leads"]] == first[:1]
    assert [lead["id"] for lead in rest["leads"]] == [first[1], late]


def test_csv_export_neutralises_formulas(app, storage, api):
    make_lead(app, storage, "eve@example.com", name='=HYPERLINK("http://x")')

    response = api("GET", "/api/v1/leads/export?format=csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="acme-realty-leads.csv"' in response.headers["Content-Disposition"]
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert row["email"] == "eve@example.com"
    assert row["full_name"] == '\'=HYPERLINK("http://x")'


def test_jsonl_export_applies_the_listing_filters(api, three_leads):
    response = api("GET", "/api/v1/leads/export?format=jsonl&tier=hot")

    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    assert [json.loads(line)["id"] for line in lines] == [three_leads["bo"]]


OUTCOME = "/api/v1/leads/LEAD/outcome"


def raw_json(text):
    return {"data": text, "content_type": "application/json"}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "fragment"),
    [
        ("GET", "/api/v1/leads?limit=0", {}, 400, "limit must be between 1 and 200"),
        ("GET", "/api/v1/leads?limit=201", {}, 400, "not 201"),
        ("GET", "/api/v1/leads?limit=ten", {}, 400, "limit must be a whole number"),
        ("GET", "/api/v1/leads?limit=-1", {}, 400, 'not "-1"'),
        ("GET", "/api/v1/leads?cursor=not*base64", {}, 400, 'cursor "not*base64"'),
        ("GET", "/api/v1/leads?cursor=WzFd", {}, 400, "not one this API gave out"),
        ("GET", "/api/v1/leads?created_since=yesterday", {}, 400, "created_since"),
        ("GET", "/api/v1/leads?created_until=2024-02-30", {}, 400, "2024-02-30"),
        ("GET", "/api/v1/leads?submitted_since=2024-01-01T10:00", {}, 400, "date-time"),
        ("GET", "/api/v1/leads?include_tests=yes", {}, 400, "true or false"),
        ("GET", "/api/v1/leads?teir=hot", {}, 400, 'Unknown query parameter "teir"'),
        ("GET", "/api/v1/leads?tier=hot&tier=warm", {}, 400, "Give tier only once"),
        ("GET", "/api/v1/leads/export", {}, 400, "format is required: use format=csv"),
        ("GET", "/api/v1/leads/export?format=xlsx", {}, 400, 'cannot be "xlsx"'),
        ("GET", "/api/v1/leads/export?format=csv&limit=5", {}, 400, '"limit"'),
        ("GET", "/api/v1/leads/lead_nobody", {}, 404, '"lead_nobody"'),
        ("GET", "/api/v1/leads/LEAD?x=1", {}, 400, "no query parameters"),
        ("POST", OUTCOME, {"data": "status=converted"}, 415, "as JSON"),
        ("POST", OUTCOME, raw_json("{"), 400, "not valid JSON"),
        ("POST", OUTCOME, raw_json("[" * 100_000), 400, "not valid JSON"),
        ("POST", OUTCOME, raw_json("x" * 300_000), 413, "larger than"),
        ("POST", OUTCOME, {"json": ["converted"]}, 422, "must be a JSON object"),
        ("POST", OUTCOME, {"json": {}}, 422, "status is required"),
        ("POST", OUTCOME, {"json": {"status": "won"}}, 422, 'open, not "won"'),
        ("POST", OUTCOME, {"json": {"status": "disqualified"}}, 422, "say why"),
        (
            "POST",
            OUTCOME,
            {"json": {"status": "disqualified", "reason": "  "}},
            422,
            "reason is required when status is disqualified",
        ),
        ("POST", OUTCOME, {"json": {"status": "open", "reason": 7}}, 422, "not 7"),
        (
            "POST",
            OUTCOME,
            {"json": {"status": "open", "reason": "x" * 1001}},
            422,
            "at most 1000 characters",
        ),
        (
            "POST",
            OUTCOME,
            raw_json('{"status": "open", "reason": "\\ud800"}'),
            422,
            "not valid Unicode",
        ),
        (
            "POST",
            OUTCOME,
            {"json": {"status": "open", "note": "x"}},
            422,
            '"note" is not a field of an outcome',
        ),
        (
            "POST",
            "/api/v1/leads/lead_nobody/outcome",
            {"json": {"status": "open"}},
            404,
            "There is no lead",
        ),
        ("GET", "/api/v1/nowhere", {}, 404, "openapi.json lists every endpoint"),
        ("DELETE", "/api/v1/leads", {}, 405, "use GET"),
        ("GET", OUTCOME, {}, 405, "use POST"),
    ],
)
def test_bad_requests_get_a_json_error_naming_the_problem(
    api, ann, method, path, kwargs, status, fragment
):
    response = api(method, path.replace("LEAD", ann["id"]), **kwargs)

    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"error", "message"}
    assert fragment in body["message"]


def test_a_disallowed_method_lists_the_allowed_ones(api):
    response = api("PUT", "/api/v1/leads/export")

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    ("headers", "fragment", "challenge"),
    [
        ({}, "Send an API token", 'Bearer realm="formserver"'),
        ({"Authorization": "Basic YTpi"}, "Authorization: Bearer", "Bearer"),
        ({"Authorization": "Bearer "}, "Send an API token", "Bearer"),
        ({"Authorization": "Bearer fs_guessed"}, "not valid", 'error="invalid_token"'),
    ],
)
def test_requests_without_a_valid_token_get_401(
    client, ann, headers, fragment, challenge
):
    response = client.get("/api/v1/leads", headers=headers)

    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert fragment in response.get_json()["message"]
    assert challenge in response.headers["WWW-Authenticate"]


def test_a_revoked_token_no_longer_works(client, storage, token):
    [row] = storage.api_tokens(CLIENT)

    assert client.get("/api/v1/leads", headers=bearer(token)).status_code == 200
    assert storage.revoke_api_token(row["id"]) is True
    assert client.get("/api/v1/leads", headers=bearer(token)).status_code == 401
    assert storage.revoke_api_token(row["id"]) is False


def test_tokens_are_stored_only_as_hashes(storage, token):
    assert re.fullmatch(r"fs_[A-Za-z0-9_-]{43}", token)
    dump = "\n".join(storage.db.conn.iterdump())
    assert token not in dump
    assert token[3:] not in dump
    assert storage.client_of_token(token) == CLIENT
    assert storage.client_of_token(token + "x") is None


def test_a_token_is_marked_used_at_most_once_a_minute(storage, token):
    storage.client_of_token(token)
    [first] = storage.api_tokens()
    storage.client_of_token(token)
    [second] = storage.api_tokens()
    storage.db.execute(
        "UPDATE api_tokens SET last_used_at = '2024-01-01T00:00:00.000000+00:00'"
    )
    storage.client_of_token(token)
    [third] = storage.api_tokens()

    assert first["last_used_at"] is not None
    assert second["last_used_at"] == first["last_used_at"]
    assert third["last_used_at"] > first["last_used_at"]


def test_the_openapi_document_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.get_json()
    assert document == json.loads(json.dumps(DOCUMENT))
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_openapi_document_lists_exactly_the_apps_api_routes(app):
    # The isolation test below walks the document, so a route missing from it
    # would go unchecked for leaks between clients.
    routed = {
        (re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method) for path, item in DOCUMENT["paths"].items() for method in item
    }

    assert routed == documented


def _request_for(path, method, operation, lead_id):
    """A valid request to one operation of the document, aimed at ``lead_id``."""
    query = {
        p["name"]: p["schema"]["enum"][0]
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    kwargs = {"query_string": query}
    body = operation.get("requestBody")
    if body:
        kwargs["json"] = body["content"]["application/json"]["example"]
    return method.upper(), path.replace("{lead_id}", lead_id), kwargs


def test_no_endpoint_shows_or_changes_a_lead_of_another_client(
    app, client, storage, ann, other_token
):
    make_lead(app, storage, "bo@example.com", investment=HOT)
    document = client.get("/api/v1/openapi.json").get_json()
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 5

    def answer(path, method, operation, lead_id):
        method, url, kwargs = _request_for(path, method, operation, lead_id)
        response = client.open(
            url, method=method, headers=bearer(other_token), **kwargs
        )
        text = response.get_data(as_text=True).replace(lead_id, "LEAD")
        return response.status_code, text

    for path, method, operation in operations:
        status, text = answer(path, method, operation, ann["id"])

        assert "@example.com" not in text, path
        if "{lead_id}" in path:
            # Word for word what a lead that does not exist gets.
            assert status == 404, (path, text)
            assert (status, text) == answer(path, method, operation, "lead_nobody")
        else:
            assert status == 200, (path, text)
    assert storage.lead(ann["id"])["outcome"] is None
    assert storage.db.execute("SELECT count(*) FROM outcomes").fetchone()[0] == 0


def test_listing_and_export_of_another_client_are_empty(client, ann, other_token):
    listing = client.get("/api/v1/leads", headers=bearer(other_token)).get_json()
    exported = client.get(
        "/api/v1/leads/export?format=jsonl", headers=bearer(other_token)
    )

    assert listing == {"leads": [], "next_cursor": None}
    assert exported.get_data(as_text=True) == ""
