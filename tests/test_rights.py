"""Data rights: what is held about a person, and erasure without a trace."""

import json
import sqlite3
from pathlib import Path

import pytest

from .conftest import step_of, token_of
from .web.test_prospects import FORM, INVESTOR, complete
from .webhooks import submit


def every_text_value(storage):
    for table in storage.db.table_names():
        for row in storage.db.query(f"SELECT * FROM [{table}]"):
            for value in row.values():
                if isinstance(value, str):
                    yield table, value


def database_files(storage):
    """The bytes of the database file and of its write-ahead log, if any."""
    for path in (Path(storage.path), Path(storage.path + "-wal")):
        if path.exists():
            yield path.name, path.read_bytes()


def test_forget_erases_the_email_from_every_table_and_file(
    client, storage, deliverer, receiver
):
    submit(client, "gone@example.com")
    submit(client, "stays@example.com")
    deliverer.run_once()
    page = client.get(FORM)
    client.post(FORM, data={"_t": token_of(page), "_step": step_of(page), "role": "x"})

    result = storage.forget("acme-realty", "gone@example.com")

    assert result["erased"]["leads"] == 1
    assert result["notified"] == [receiver.url]
    assert result["log_emptied"] is True
    leftovers = [t for t, v in every_text_value(storage) if "gone@example.com" in v]
    assert leftovers == []
    assert [lead["email"] for lead in storage.leads("acme-realty")] == [
        "stays@example.com"
    ]
    files = dict(database_files(storage))
    assert b"stays@example.com" in files["formserver.db"]
    assert [name for name, data in files.items() if b"gone@example.com" in data] == []


def test_secure_delete_is_on_so_that_freed_pages_are_overwritten(storage):
    assert storage.db.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_forget_says_when_a_reader_keeps_the_log_from_being_emptied(client, storage):
    submit(client, "gone@example.com")
    reader = sqlite3.connect(storage.path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM leads").fetchone()
    storage.db.execute("PRAGMA busy_timeout = 50")
    try:
        result = storage.forget("acme-realty", "gone@example.com")
    finally:
        reader.close()

    assert result["erased"]["leads"] == 1
    assert result["log_emptied"] is False


def held_as_spam(app, client):
    app.config["FORMSERVER_MIN_FILL_SECONDS"] = 60
    submit(client, "gone@example.com")


def run_as_a_marketers_test(app, client):
    tokens = app.extensions["formserver"].tokens
    test = tokens.sign_test("acme-realty", "property-enquiry")
    contact = dict(INVESTOR["contact"], email="gone@example.com")
    complete(client, dict(INVESTOR, contact=contact), start=f"{FORM}?test={test}")


@pytest.mark.parametrize("finish", [held_as_spam, run_as_a_marketers_test])
def test_person_and_forget_cover_submissions_that_never_became_a_lead(
    app, client, storage, finish
):
    finish(app, client)
    app.config["FORMSERVER_MIN_FILL_SECONDS"] = 0
    submit(client, "stays@example.com")
    [lone] = [s for s in storage.submissions("acme-realty") if s["lead_id"] is None]

    held = storage.person("acme-realty", "gone@example.com")
    result = storage.forget("acme-realty", "gone@example.com")

    assert [s["id"] for s in held["submissions"]] == [lone["id"]]
    assert len(held["forms_in_progress"]) == 1
    assert result["erased"]["submissions"] == 1
    assert result["erased"]["partials"] == 1
    assert storage.submission(lone["id"]) is None
    leftovers = [t for t, v in every_text_value(storage) if "gone@example.com" in v]
    assert leftovers == []
    assert len(storage.submissions("acme-realty")) == 1


def test_a_held_submission_is_found_by_its_email_once_its_partial_is_gone(
    app, client, storage
):
    held_as_spam(app, client)
    storage.db.execute("DELETE FROM partials")

    result = storage.forget("acme-realty", "gone@example.com")

    assert result["erased"]["submissions"] == 1
    assert storage.flagged() == []


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


def form_in_progress(client, storage, typed):
    """A partial on its second step, with ``typed`` left in the email draft."""
    before = {row["id"] for row in storage.db.query("SELECT id FROM partials")}
    page = client.get(FORM)
    client.post(FORM, data={"_t": token_of(page), "_step": "role", "role": "developer"})
    [partial_id] = {
        row["id"] for row in storage.db.query("SELECT id FROM partials")
    } - before
    partial = storage.partial(partial_id)
    partial.drafts["contact"] = {"email": [typed], "full_name": [""]}
    storage.save_partial(partial)
    return partial_id


@pytest.mark.parametrize(
    ("typed", "forgotten", "erased"),
    [
        ("typed@example.com", "typed@example.com", True),
        (" Case@Example.com ", "case@example.com", True),
        ("joann@example.com", "ann@example.com", False),
        ("ann@example.com.au", "ann@example.com", False),
        ("note: ann@example.com", "ann@example.com", False),
        ("", "", False),
    ],
)
def test_a_form_in_progress_is_erased_only_when_it_holds_the_whole_email(
    client, storage, typed, forgotten, erased
):
    partial_id = form_in_progress(client, storage, typed)

    result = storage.forget("acme-realty", forgotten)

    assert result["erased"]["partials"] == int(erased)
    assert (storage.partial(partial_id) is None) is erased


@pytest.mark.parametrize(
    ("attempt", "notified"),
    [
        ("retry", True),
        ("lease", True),
        ("none", False),
    ],
)
def test_the_erasure_goes_to_every_endpoint_the_lead_may_have_reached(
    client, storage, deliverer, receiver, attempt, notified
):
    submit(client, "gone@example.com")
    for event in storage.events_to_fan_out():
        storage.fan_out(event["id"], event["client"], [receiver.url])
    if attempt == "retry":
        # The CRM stored the lead but answered 500, so a retry waits.
        receiver.answers = [(500, {})]
        deliverer.run_once()
    elif attempt == "lease":
        # A worker has claimed the delivery and may be sending it right now.
        storage.claim_next()

    result = storage.forget("acme-realty", "gone@example.com")

    assert result["notified"] == ([receiver.url] if notified else [])


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
