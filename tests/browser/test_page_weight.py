"""Step pages stay light for phones, and load nothing from any other host."""

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from .prospect import Prospect, fresh_answers, segment_paths

#: Uncompressed bytes of one step page with its stylesheets and scripts.
BUDGET = 30 * 1024
PATHS = [
    pytest.param(client, form, scenario, id=f"{client}/{form}: {segment}")
    for client, form, segment, scenario in segment_paths()
]


class Assets(HTMLParser):
    """The stylesheet and script URLs a page links to."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "stylesheet":
            self.urls.append(found["href"])
        elif tag == "script" and found.get("src"):
            self.urls.append(found["src"])


def weight(request, url):
    """Bytes of the page at ``url``, and of each stylesheet and script it links."""
    html = request.get(url).body()
    parser = Assets()
    parser.feed(html.decode("utf-8"))
    sizes = {url: len(html)}
    for asset in parser.urls:
        response = request.get(urljoin(url, asset))
        assert response.ok, f"{asset} answered {response.status}"
        sizes[asset] = len(response.body())
    return sizes


@pytest.fixture
def prospect(browser, base_url):
    context = browser.new_context()
    try:
        yield Prospect(context.new_page(), base_url)
    finally:
        context.close()


@pytest.mark.parametrize(("client", "form", "scenario"), PATHS)
def test_every_step_page_with_its_css_and_js_is_at_most_30_kb(
    prospect, client, form, scenario
):
    page = prospect.page
    weighed = {}
    answers = fresh_answers(scenario)
    prospect.start(client, form)

    def weigh(step):
        weighed[step] = weight(page.request, page.url)

    prospect.complete(answers, on_step=weigh)

    assert weighed
    for step, sizes in weighed.items():
        total = sum(sizes.values())
        assert total <= BUDGET, f"step {step!r} weighs {total} bytes: {sizes}"


@pytest.mark.parametrize(("client", "form", "scenario"), PATHS)
def test_the_pages_of_a_path_request_nothing_from_another_host(
    prospect, base_url, client, form, scenario
):
    requested = []
    prospect.page.on("request", lambda request: requested.append(request.url))
    answers = fresh_answers(scenario)
    prospect.start(client, form)

    prospect.complete(answers)

    assert prospect.sent_away is None
    prospect.page.locator(".fs-thanks").wait_for()
    assert requested
    elsewhere = [url for url in requested if not url.startswith(f"{base_url}/")]
    assert elsewhere == []
