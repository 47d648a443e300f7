import json
import re
from html import unescape

import pytest

from formserver.web.formstate import origin_allowed

from ..conftest import step_of, token_of
from .test_prospects import FORM, INVESTOR, follow, post_step

HOST = "https://acme-realty.example"


def data_attribute(response, name):
    match = re.search(rf'{name}="([^"]*)"', response.get_data(as_text=True))
    return unescape(match.group(1)) if match else None


def complete_embedded(client, answers):
    page = client.get(f"{FORM}?host={HOST}&utm_source=host-page")
    while step_of(page) != "contact":
        page = follow(client, post_step(client, page, answers[step_of(page)]))
    return post_step(client, page, answers["contact"])


@pytest.mark.parametrize(
    ("origin", "allowed", "expected"),
    [
        ("https://a.example", ("https://a.example",), True),
        ("https://a.example:8443", ("https://a.example",), False),
        ("http://127.0.0.1:5173", ("http://127.0.0.1:*",), True),
        ("http://127.0.0.1:x", ("http://127.0.0.1:*",), False),
        ("https://a.example/path", ("https://a.example/path",), False),
        ("https://evil.example", ("https://a.example",), False),
        ("", ("https://a.example",), False),
    ],
)
def test_origin_allowed_matches_exact_origins_and_any_port(origin, allowed, expected):
    assert origin_allowed(origin, allowed) is expected


def test_an_allowed_host_is_written_into_every_page_of_the_form(client):
    page = client.get(f"{FORM}?host={HOST}")
    assert data_attribute(page, "data-host") == HOST

    next_page = follow(client, post_step(client, page, INVESTOR["role"]))

    assert data_attribute(next_page, "data-host") == HOST
    assert data_attribute(next_page, "data-position") == "2"


def test_a_host_that_is_not_allowed_gets_no_messages(client):
    page = client.get(f"{FORM}?host=https://evil.example")

    assert data_attribute(page, "data-host") is None


def test_an_embedded_form_ends_on_a_thank_you_page_that_reports_the_tag(client):
    hot = dict(
        INVESTOR,
        investment={
            "ticket_size": "9m",
            "asset_classes": ["office"],
            "markets": "london",
        },
    )

    thanks = follow(client, complete_embedded(client, hot))

    event = json.loads(data_attribute(thanks, "data-event"))
    assert event.pop("lead_token")
    assert event == {
        "event": "submit",
        "segment": "investor",
        "tier": "hot",
        "route": "investor-desk",
        "redirect": "https://calendar.acme-realty.example/investor-desk",
    }
    assert "ann@example.com" not in thanks.get_data(as_text=True)
    assert 'href="https://calendar.acme-realty.example/investor-desk"' in (
        thanks.get_data(as_text=True)
    )


def test_the_embed_script_is_served_small_and_cacheable(client):
    with client.get("/embed.js") as response:
        body = response.get_data()

    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert 0 < len(body) <= 5 * 1024
    assert "max-age=300" in response.headers["Cache-Control"]


def test_the_host_is_signed_into_the_token_not_taken_from_the_post(client):
    page = client.get(FORM)

    response = client.post(
        FORM,
        data={"_t": token_of(page), "_step": "role", "role": "investor", "host": HOST},
    )

    assert data_attribute(follow(client, response), "data-host") is None


def test_the_forms_of_a_client_without_embed_origins_cannot_be_framed(
    client, specs_dir
):
    client_file = specs_dir / "acme-realty/client.json"
    settings = json.loads(client_file.read_text())
    del settings["embed_origins"]
    client_file.write_text(json.dumps(settings))

    page = client.get(f"{FORM}?host={HOST}")

    policy = page.headers["Content-Security-Policy"]
    assert policy.split("frame-ancestors ", 1)[1].split(";")[0] == "'none'"
    assert "X-Frame-Options" not in page.headers
    assert data_attribute(page, "data-host") is None
