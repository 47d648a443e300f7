"""The embed snippet in Chromium: a host page on one origin, formserver on another.

The host page is served from 127.0.0.1, formserver is reached as localhost, so
the form runs in a cross-site iframe with third-party cookies blocked, as it
does on a client's landing page.
"""

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import LiveServer
from .prospect import ERROR_PAGE, read_only

AXE = Path(__file__).resolve().parents[1] / "node_modules/axe-core/axe.min.js"
FORM = "/f/acme-realty/property-enquiry"
QUOTE_FORM = "/f/brightside-home/quote-request"
#: A client whose client file names no embed origins (see ``embed_server``).
UNFRAMABLE_FORM = "/f/northwind-software/demo-request"
ANSWERS = {
    "role": "investor",
    "ticket_size": "6m",
    "asset_classes": ["office"],
    "markets": "london",
    "full_name": "Ann Lee",
    "consent": True,
}
QUOTE = {
    "project_type": "emergency",
    "postcode": "BS5 6HN",
    "owner_status": "renter",
    "landlord_permission": "agreed",
    "who_pays": "me",
    "full_name": "Chloe Adams",
    "phone": "07911 123456",
    "consent": True,
}
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Realty</title></head>
<body><main><h1>Find space with Acme</h1>
<div id="form" data-formserver="{form}" {options}></div>
{extra}
</main>
<script>
window.seen = [];
for (const name of ["ready", "step", "submit"]) {{
  document.addEventListener(
    "formserver:" + name, (e) => seen.push([name, e.detail, e.target.id])
  );
}}
</script>
<script src="{server}/embed.js"></script>
</body></html>"""
#: The keys under which the snippet keeps lead tokens in the host's storage.
LEAD_KEYS = "Object.keys(localStorage).filter(k => k.startsWith('formserver-lead:'))"
FOREIGN_PAGE = """<!doctype html><html lang="en"><head><title>x</title></head><body>
<script>
parent.postMessage({type: "formserver", event: "resize", height: 7}, "*");
parent.postMessage({type: "formserver", event: "submit", tier: "hot"}, "*");
</script></body></html>"""


class HostSite:
    """A client's site: serves landing pages built from HOST_PAGE."""

    def __init__(self):
        self.pages = {"/foreign": FOREIGN_PAGE}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = site.pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def add(self, path, html):
        self.pages[path] = html
        return f"http://127.0.0.1:{self.port}{path}"


def set_embed_origins(specs, client_id, origins):
    client_file = specs / client_id / "client.json"
    client = json.loads(client_file.read_text())
    client.pop("embed_origins", None)
    if origins:
        client["embed_origins"] = origins
    client_file.write_text(json.dumps(client))


@pytest.fixture(scope="module")
def embed_server(tmp_path_factory):
    """formserver, where acme and brightside allow the host site on any port
    and northwind allows no site to frame its forms."""
    server = LiveServer(tmp_path_factory.mktemp("embed_server"))
    server.start()
    set_embed_origins(server.specs, "acme-realty", ["http://127.0.0.1:*"])
    set_embed_origins(server.specs, "brightside-home", ["http://127.0.0.1:*"])
    set_embed_origins(server.specs, "northwind-software", [])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def site():
    found = HostSite()
    yield found
    found.close()


@pytest.fixture
def formserver_url(embed_server):
    return embed_server.url.replace("127.0.0.1", "localhost")


def landing_page(site, formserver_url, options="", extra=""):
    html = HOST_PAGE.format(
        form=formserver_url + FORM, server=formserver_url, options=options, extra=extra
    )
    return site.add(f"/landing-{uuid.uuid4().hex}", html)


def placeholder(form_url, where, options=""):
    """Another placeholder, for the ``extra`` of a landing page."""
    return f'<div id="{where}" data-formserver="{form_url}" {options}></div>'


def iframe_of(where):
    """The iframe the snippet put into the placeholder with the id ``where``."""
    return f"#{where} iframe"


def form_frame(page, where="form"):
    page.frame_locator(iframe_of(where)).locator("main").wait_for()
    return page.locator(iframe_of(where)).element_handle().content_frame()


def height_of(page, where="form"):
    return page.locator(iframe_of(where)).bounding_box()["height"]


def wait_for_height_to_match(page, frame, where="form"):
    """The iframe's height follows its content: no inner scrollbar, no gap."""
    content = frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
    page.wait_for_function(
        f"h => Math.abs(document.querySelector('{iframe_of(where)}')"
        ".getBoundingClientRect().height - h) <= 1",
        arg=content,
    )


def answer_step(page, answers, where="form"):
    """Fill the iframe's current step from ``answers`` and send it."""
    frame = form_frame(page, where)
    step = frame.locator("form.fs-form").get_attribute("data-step")
    for wrapper in frame.locator(".fs-field:visible").all():
        field_id = wrapper.get_attribute("id")[2:]
        kind = wrapper.get_attribute("data-type")
        value = answers.get(field_id)
        if value is None:
            continue
        control = frame.locator(f"#f-{field_id}")
        if kind == "radio":
            control.locator(f'input[value="{value}"]').check()
        elif kind == "checkboxes":
            for item in value:
                control.locator(f'input[value="{item}"]').check()
        elif kind == "consent":
            control.check()
        elif kind == "select":
            control.select_option(value)
        else:
            control.fill(str(value))
    with frame.expect_navigation():
        frame.get_by_role("button", name=re.compile("^(Continue|Send)$")).click()
    return step


def complete_in_frame(page, answers, where="form"):
    for _ in range(6):
        frame = form_frame(page, where)
        if frame.locator(".fs-thanks").count():
            return frame
        answer_step(page, answers, where)
        wait_for_height_to_match(page, form_frame(page, where), where)
    raise AssertionError("the form did not end")


def stored_lead_tokens(page):
    return page.evaluate(LEAD_KEYS)


def stored(server, campaign):
    with read_only(server.db) as connection:
        return connection.execute(
            "SELECT * FROM submissions WHERE json_extract(captured,"
            " '$.utm_campaign') = ?",
            [campaign],
        ).fetchall()


def test_an_inline_form_completes_reports_its_tag_and_keeps_the_host_utm(
    page, site, embed_server, formserver_url
):
    campaign = uuid.uuid4().hex
    url = landing_page(site, formserver_url)
    page.goto(f"{url}?utm_source=host-page&utm_campaign={campaign}")

    frame = complete_in_frame(page, dict(ANSWERS, email=f"ann+{campaign}@example.com"))

    assert "investment desk" in frame.locator(".fs-thanks").inner_text()
    events = page.evaluate("seen")
    names = [name for name, _, _ in events]
    assert names[0] == "ready" and names.count("ready") == 1
    assert names.count("step") == 3
    submit = next(detail for name, detail, _ in events if name == "submit")
    assert submit["tier"] == "hot" and submit["segment"] == "investor"
    assert submit["route"] == "investor-desk"
    assert "email" not in json.dumps(submit)
    [row] = stored(embed_server, campaign)
    assert json.loads(row["captured"])["utm_source"] == "host-page"
    assert row["tier"] == "hot"


def test_the_frame_follows_its_content_after_an_error(page, site, formserver_url):
    page.goto(landing_page(site, formserver_url))
    answer_step(page, {"role": "developer"})
    wait_for_height_to_match(page, form_frame(page))
    before = height_of(page)

    answer_step(page, {})

    frame = form_frame(page)
    assert frame.locator("#fs-errors").count() == 1
    wait_for_height_to_match(page, frame)
    assert height_of(page) > before


def test_a_popup_opens_completes_and_closes_with_escape_returning_focus(
    page, site, embed_server, formserver_url
):
    campaign = uuid.uuid4().hex
    options = 'data-mode="popup" data-button="Talk to us" data-title="Enquiry"'
    page.goto(f"{landing_page(site, formserver_url, options)}?utm_campaign={campaign}")

    button = page.get_by_role("button", name="Talk to us")
    button.click()
    dialog = page.get_by_role("dialog", name="Enquiry")
    assert dialog.is_visible()
    complete_in_frame(page, dict(ANSWERS, email=f"bo+{campaign}@example.com"))
    page.keyboard.press("Escape")

    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Talk to us"
    assert len(stored(embed_server, campaign)) == 1


def test_the_host_page_with_the_popup_open_has_no_axe_violations(
    browser, site, formserver_url
):
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        options = 'data-mode="popup" data-button="Talk to us" data-title="Enquiry"'
        page.goto(landing_page(site, formserver_url, options))
        page.get_by_role("button", name="Talk to us").click()
        form_frame(page)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document)")
    finally:
        context.close()

    violations = [
        (v["id"], v["help"], v["nodes"][0]["target"]) for v in result["violations"]
    ]
    assert violations == []


def test_a_host_that_is_not_allowed_cannot_show_the_form(page, site, formserver_url):
    allowed = landing_page(site, formserver_url)
    elsewhere = allowed.replace("127.0.0.1", "localhost")

    page.goto(elsewhere)
    page.wait_for_timeout(1500)

    frames = [f for f in page.frames if f != page.main_frame]
    assert all(f.locator("form.fs-form").count() == 0 for f in frames)
    assert page.evaluate("seen") == []


def test_messages_from_a_foreign_origin_change_nothing(page, site, formserver_url):
    foreign = f"http://localhost:{site.port}/foreign"
    extra = f'<iframe src="{foreign}" title="other"></iframe>'
    page.goto(landing_page(site, formserver_url, extra=extra))
    form_frame(page)
    wait_for_height_to_match(page, form_frame(page))
    page.evaluate(
        "window.postMessage({type: 'formserver', event: 'submit', tier: 'hot'}, '*')"
    )
    page.wait_for_timeout(500)

    height = height_of(page)
    names = [name for name, _, _ in page.evaluate("seen")]
    assert height > 100
    assert "submit" not in names


def test_a_returning_prospect_is_recognised_through_the_host_page(
    page, site, embed_server, formserver_url
):
    campaign = uuid.uuid4().hex
    url = landing_page(site, formserver_url)
    page.goto(f"{url}?utm_campaign={campaign}")
    complete_in_frame(page, dict(ANSWERS, email=f"cy+{campaign}@example.com"))
    assert stored_lead_tokens(page)

    page.goto(url)
    frame = form_frame(page)

    assert "Welcome back" in frame.locator(".fs-known").inner_text()
    assert "Ann Lee" in frame.locator(".fs-known").inner_text()
    assert page.context.cookies() == []


def test_several_forms_on_one_page_each_work_and_follow_their_own_height(
    page, site, embed_server, formserver_url
):
    campaign = uuid.uuid4().hex
    quote = placeholder(formserver_url + QUOTE_FORM, "quote", 'data-title="Quote"')
    url = landing_page(site, formserver_url, extra=quote)
    page.goto(f"{url}?utm_campaign={campaign}")
    wait_for_height_to_match(page, form_frame(page, "quote"), "quote")
    quote_height = height_of(page, "quote")

    answer_step(page, {})
    enquiry = form_frame(page)
    wait_for_height_to_match(page, enquiry)
    enquiry_height = height_of(page)
    assert enquiry.locator("#fs-errors").count() == 1
    assert height_of(page, "quote") == quote_height
    thanks = complete_in_frame(
        page, dict(QUOTE, email=f"chloe+{campaign}@example.com"), "quote"
    )
    assert height_of(page) == enquiry_height
    complete_in_frame(page, dict(ANSWERS, email=f"ann+{campaign}@example.com"))

    assert "landlord has agreed" in thanks.locator(".fs-thanks").inner_text()
    events = page.evaluate("seen")
    for where, segment, steps in (
        ("form", "investor", ["role", "role", "investment", "contact"]),
        ("quote", "renter", ["project", "renter-details", "contact"]),
    ):
        own = [(name, detail) for name, detail, target in events if target == where]
        assert [name for name, _ in own].count("ready") == 1
        assert [detail["step"] for name, detail in own if name == "step"] == steps
        last, detail = own[-1]
        assert (last, detail["segment"]) == ("submit", segment)
    rows = stored(embed_server, campaign)
    assert sorted(row["client"] for row in rows) == ["acme-realty", "brightside-home"]


def test_the_callback_named_by_the_placeholder_gets_each_event_and_detail(
    page, site, formserver_url
):
    campaign = uuid.uuid4().hex
    callback = (
        "<script>window.called = [];"
        "window.onForm = (event, detail) => called.push([event, detail]);</script>"
    )
    options = 'data-callback="onForm"'
    page.goto(landing_page(site, formserver_url, options, extra=callback))

    complete_in_frame(page, dict(ANSWERS, email=f"eve+{campaign}@example.com"))

    called = page.evaluate("called")
    assert called == [[name, detail] for name, detail, _ in page.evaluate("seen")]
    assert [event for event, _ in called] == ["ready", "step", "step", "step", "submit"]
    assert called[1][1] == {"step": "role", "position": 1, "total": 3}
    assert called[-1][1] == {
        "segment": "investor",
        "tier": "hot",
        "route": "investor-desk",
        "redirect": "https://calendar.acme-realty.example/investor-desk",
    }


def test_starting_afresh_in_the_frame_forgets_the_token_the_host_page_kept(
    page, site, formserver_url
):
    campaign = uuid.uuid4().hex
    url = landing_page(site, formserver_url)
    page.goto(url)
    complete_in_frame(page, dict(ANSWERS, email=f"fay+{campaign}@example.com"))
    page.goto(url)
    frame = form_frame(page)
    assert "Welcome back" in frame.locator(".fs-known").inner_text()
    assert stored_lead_tokens(page)

    with frame.expect_navigation():
        frame.get_by_role("link", name="Not you? Start afresh").click()
    page.wait_for_function(f"{LEAD_KEYS}.length === 0")
    assert form_frame(page).locator(".fs-known").count() == 0
    page.goto(url)

    frame = form_frame(page)
    assert "lead=" not in page.locator(iframe_of("form")).get_attribute("src")
    assert frame.locator(".fs-known").count() == 0
    assert frame.locator("form.fs-form").get_attribute("data-step") == "role"


def test_the_forms_of_a_client_without_embed_origins_cannot_be_framed(
    page, site, formserver_url
):
    refused = placeholder(formserver_url + UNFRAMABLE_FORM, "refused")
    url = landing_page(site, formserver_url, extra=refused)

    with page.expect_response(lambda r: UNFRAMABLE_FORM in r.url) as response:
        page.goto(url)
    form_frame(page)

    policy = response.value.headers["content-security-policy"]
    assert policy.split("frame-ancestors ", 1)[1].split(";")[0] == "'none'"
    frame = page.locator(iframe_of("refused")).element_handle().content_frame()
    frame.wait_for_url(ERROR_PAGE)
    assert frame.locator("form.fs-form").count() == 0
    assert {target for _, _, target in page.evaluate("seen")} == {"form"}
