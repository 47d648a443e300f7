"""Finishing a form: the lead a submission joins is keyed on the spec's lead field."""

import json

import pytest

from .test_prospects import INVESTOR, complete

SPEC = "acme-realty/property-enquiry.json"


@pytest.fixture
def work_email_spec(specs_dir):
    """The example form asking a ``work_email`` lead field and a personal email."""
    path = specs_dir / SPEC
    document = json.loads(path.read_text())
    document["lead_fields"] = ["work_email", "full_name"]
    contact = next(step for step in document["steps"] if step["id"] == "contact")
    [email] = [field for field in contact["fields"] if field["id"] == "email"]
    email["id"] = "work_email"
    personal = {"id": "email", "type": "email", "label": "Personal email"}
    contact["fields"].insert(contact["fields"].index(email) + 1, personal)
    path.write_text(json.dumps(document))


def test_the_lead_is_keyed_on_the_email_typed_lead_field_whatever_its_name(
    work_email_spec, client, storage
):
    contact = {
        "full_name": "Ann Lee",
        "work_email": " Ann@Acme.example ",
        "email": "ann.home@example.com",
        "consent": "y",
    }

    complete(client, dict(INVESTOR, contact=contact))

    [submission] = storage.submissions("acme-realty")
    assert submission["answers"]["work_email"] == "ann@acme.example"
    lead = storage.lead(submission["lead_id"])
    assert lead["email"] == "ann@acme.example"
    assert storage.lead_by_email("acme-realty", "ann.home@example.com") is None
