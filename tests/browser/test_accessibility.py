"""axe-core finds no accessibility violations on any page a prospect can see.

Every step page of one path per segment of every example form, a step page
showing validation errors, the first step as a returning lead sees it, the
thank-you pages and the error pages are checked with JavaScript on, as axe
needs it. Run ``npm install --prefix tests`` first, for axe.min.js.
"""

import pytest

from .prospect import (
    ROOT,
    Prospect,
    example_scenarios,
    fresh_answers,
    segment_paths,
)

AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"


def one_path_per_segment():
    return [
        pytest.param(client, form, scenario, id=f"{client}/{form}: {segment}")
        for client, form, segment, scenario in segment_paths()
    ]


def returning_leads():
    return [
        pytest.param(client, form, scenario, id=f"{client}/{form}")
        for client, form, scenario in example_scenarios()
        if "first_visit" in scenario
    ]


FORMS = sorted({(client, form) for client, form, _ in example_scenarios()})


@pytest.fixture
def prospect(browser, base_url):
    # The pages' Content-Security-Policy would refuse the injected axe script.
    context = browser.new_context(bypass_csp=True)
    try:
        yield Prospect(context.new_page(), base_url)
    finally:
        context.close()


class Audit:
    """The violations axe finds on each page it is run on."""

    def __init__(self, page):
        if not AXE.exists():
            pytest.fail(f"{AXE} is missing; run: npm install --prefix tests")
        self.page = page
        self.found = []
        self.pages = 0

    def check(self, where):
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate("() => axe.run()")
        self.pages += 1
        for violation in result["violations"]:
            targets = [" ".join(node["target"]) for node in violation["nodes"]]
            self.found.append(
                f"{where}: {violation['id']} ({violation['impact']}): "
                f"{violation['help']} <{violation['helpUrl']}>\n    on {targets}"
            )

    def assert_clean(self):
        assert self.pages, "axe ran on no page"
        if self.found:
            report = "\n".join(self.found)
            pytest.fail(f"axe found {len(self.found)} violations:\n{report}")


@pytest.mark.parametrize(("client", "form", "scenario"), one_path_per_segment())
def test_every_step_and_the_thank_you_page_of_a_segment_path(
    prospect, client, form, scenario
):
    audit = Audit(prospect.page)
    answers = fresh_answers(scenario)
    prospect.start(client, form)

    prospect.complete(answers, on_step=lambda step: audit.check(f"step {step!r}"))
    if prospect.sent_away is None:
        audit.check("thank-you page")

    audit.assert_clean()


@pytest.mark.parametrize(("client", "form"), FORMS)
def test_a_step_page_showing_validation_errors(prospect, client, form):
    audit = Audit(prospect.page)
    prospect.start(client, form)

    response = prospect.send()

    assert response.status == 422
    assert prospect.errors()
    audit.check("first step, sent empty")
    audit.assert_clean()


@pytest.mark.parametrize(("client", "form", "scenario"), returning_leads())
def test_the_first_step_as_a_returning_lead_sees_it(prospect, client, form, scenario):
    audit = Audit(prospect.page)
    prospect.start(client, form)
    prospect.complete(fresh_answers(scenario))

    prospect.start(client, form)

    assert prospect.page.locator(".fs-known").count() == 1
    audit.check("first step, recognised")
    audit.assert_clean()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/f/acme-realty/property-enquiry?t=garbage", 400),
        ("/f/acme-realty/no-such-form", 404),
    ],
    ids=["tampered-token", "unknown-form"],
)
def test_the_error_pages(prospect, base_url, path, status):
    audit = Audit(prospect.page)

    response = prospect.page.goto(base_url + path)

    assert response.status == status
    audit.check(path)
    audit.assert_clean()
