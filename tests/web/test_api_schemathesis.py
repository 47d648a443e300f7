"""Property-based tests of the API against its own OpenAPI document.

Schemathesis generates valid and invalid requests for every operation, sends
them to the Flask app in-process (WSGI) and checks that none gets a 5xx, that
every status, content type, header and body is one the document declares, that
invalid input is refused and valid input accepted. Well-formed lead ids and
cursors are swapped for real ones at times, so that the happy paths run too.

The schema is loaded from the document itself rather than through a fixture,
because ``schemathesis.pytest.from_fixture`` reads a node attribute that
pytest 9 no longer has; ``test_api`` checks that the app serves this document.
"""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from formserver.web.openapi import DOCUMENT

from .test_api import CLIENT, HOT, bearer, make_lead

OPAQUE = re.compile(r"[A-Za-z0-9_-]+")

schema = schemathesis.openapi.from_dict(DOCUMENT)
# Each request carries a real token (the ignored_auth check still tries
# without one), so generated Authorization headers would only be replaced.
schema.config.generation.update(with_security_parameters=False)


@pytest.fixture
def api_token(storage):
    return storage.create_api_token(CLIENT, "schemathesis")


@pytest.fixture
def known(app, client, storage, api_token):
    """Real lead ids and a real cursor of the token's client."""
    leads = [
        make_lead(app, storage, "ann@example.com")["id"],
        make_lead(app, storage, "bo@example.com", investment=HOT)["id"],
    ]
    page = client.get("/api/v1/leads?limit=1", headers=bearer(api_token))
    return {"leads": leads, "cursor": page.get_json()["next_cursor"]}


# Stand-ins for the real lead ids, which only exist once a test has begun.
KNOWN_LEADS = ("known-lead-0", "known-lead-1")


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    lead_id = (path_parameters or {}).get("lead_id")
    if not (isinstance(lead_id, str) and OPAQUE.fullmatch(lead_id)):
        return st.just(path_parameters)
    return st.sampled_from(
        [path_parameters, *(dict(path_parameters, lead_id=k) for k in KNOWN_LEADS)]
    )


def _aim_at_known_data(case, known):
    lead_id = (case.path_parameters or {}).get("lead_id")
    if lead_id in KNOWN_LEADS:
        case.path_parameters["lead_id"] = known["leads"][KNOWN_LEADS.index(lead_id)]
    cursor = (case.query or {}).get("cursor")
    # A cursor this API did not give out is refused, as it should be, so a
    # well-formed one stands for the cursors it does give out.
    if isinstance(cursor, str) and OPAQUE.fullmatch(cursor):
        case.query["cursor"] = known["cursor"]


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_the_api_keeps_the_promises_of_its_openapi_document(
    case, app, api_token, known
):
    _aim_at_known_data(case, known)
    # The schema was loaded before this test's app existed; send to that app.
    case.operation.schema.app = app

    case.call_and_validate(app=app, headers=bearer(api_token))
