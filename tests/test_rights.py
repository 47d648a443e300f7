"""Data rights: what is held about a person, and erasure without a trace."""

import json

from .conftest import step_of, token_of
from .web.test_prospects import FORM
from .webhooks import submit


def every_text_value(storage):
    for table in storage.db.table_names():
        for row in storage.db.query(f"SELECT * FROM [{table}]"):
            for value in row.values():
                if isinstance(value, str):
                    yield table, value


def test_forget_erases_the_email_from_every_table(client, storage, deliverer, receiver):
    submit(client, "gone@example.com")
    submit(client, "stays@example.com")
    deliverer.run_once()
    page = client.get(FORM)
    client.post(FORM, data={"_t": token_of(page), "_step": step_of(page), "role": "x"})

    result = storage.forget("acme-realty", "gone@example.com")

    assert result["erased"]["leads"] == 1
    assert result["notified"] == [receiver.url]
    leftovers = [t for t, v in every_text_value(storage) if "gone@example.com" in v]
    assert leftovers == []
    assert [lead["email"] for lead in storage.leads("acme-realty")] == [
        "stays@example.com"
    ]


def test_the_erasure_event_reaches_only_where_the_lead_went_and_names_no_email(
    client, storage, deliverer, receiver
):
    submit(client, "gone@example.com")
    deliverer.run_once()
    lead_id = next(storage.leads("acme-realty"))["id"]

    storage.forget("acme-realty", "gone@example.com")
    deliverer.run_once()

    erased = [json.loads(body) for _, body, _ in receiver.received][-1]
    assert erased["type"] == "lead.erased"
    assert erased["data"]["lead"] == {"id": lead_id, "client": "acme-realty"}
    assert "gone@example.com" not in json.dumps(erased)


def test_a_form_in_progress_with_the_email_typed_is_erased_too(client, storage):
    page = client.get(FORM)
    for step, answers in [("role", {"role": "developer"})]:
        client.post(FORM, data={"_t": token_of(page), "_step": step, **answers})
    partial_id = next(iter(storage.db.query("SELECT id FROM partials")))["id"]
    partial = storage.partial(partial_id)
    partial.drafts["contact"] = {"email": ["typed@example.com"]}
    storage.save_partial(partial)

    result = storage.forget("acme-realty", "typed@example.com")

    assert result["erased"]["partials"] == 1
    assert storage.partial(partial_id) is None


def test_person_returns_everything_held_with_the_consent_text(client, storage):
    submit(client, "ann@example.com")

    held = storage.person("acme-realty", "ann@example.com")

    assert held["lead"]["email"] == "ann@example.com"
    assert len(held["submissions"]) == 1
    [consent] = held["consents"]
    assert consent["text"].startswith(
        "I agree that Acme Realty Partners may contact me"
    )
    assert consent["agreed"] == 1
    keys = {row["key"] for row in held["profile_history"]}
    assert {"email", "ticket_size", "full_name"} <= keys


def test_forgetting_an_unknown_email_erases_nothing(storage):
    result = storage.forget("acme-realty", "nobody@example.com")

    assert result["lead"] is None
    assert sum(result["erased"].values()) == 0
