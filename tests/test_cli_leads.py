"""The lead, data-rights, token, spam and delivery commands."""

import json

import pytest

from formserver.cli import main

from .conftest import SECRET, token_of
from .webhooks import submit


@pytest.fixture
def db(app):
    return app.config["FORMSERVER_DB"]


def run(runner, *args, **kwargs):
    return runner.invoke(
        main, list(args), env={"FORMSERVER_SECRET_KEY": SECRET}, **kwargs
    )


def test_lead_link_prints_a_link_that_recognises_the_lead(
    runner, client, db, specs_dir
):
    submit(client, "ann@example.com")

    result = run(
        runner,
        "lead-link",
        "--client",
        "acme-realty",
        "--email",
        " Ann@Example.com",
        "--db",
        db,
        "--specs",
        str(specs_dir),
        "--base-url",
        "https://forms.example",
    )

    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert url.startswith("https://forms.example/f/acme-realty/property-enquiry?lead=")
    client.delete_cookie("fs_lead_acme_realty", path="/f/acme-realty/")
    page = client.get(url.removeprefix("https://forms.example"))
    assert "Welcome back" in page.get_data(as_text=True)


def test_lead_link_for_an_unknown_email_says_so(runner, db, specs_dir):
    result = run(
        runner,
        "lead-link",
        "--client",
        "acme-realty",
        "--email",
        "x@example.com",
        "--db",
        db,
        "--specs",
        str(specs_dir),
    )

    assert result.exit_code == 1
    assert "has no lead with the email x@example.com" in result.output


def test_lead_link_to_a_form_the_client_lacks_names_its_forms(
    runner, client, db, specs_dir
):
    submit(client, "ann@example.com")

    result = run(
        runner,
        "lead-link",
        "--client",
        "acme-realty",
        "--email",
        "ann@example.com",
        "--form",
        "property-enquiri",
        "--db",
        db,
        "--specs",
        str(specs_dir),
    )

    assert result.exit_code == 2
    assert "acme-realty has no form 'property-enquiri'" in result.output
    assert "did you mean 'property-enquiry'?" in result.output
    assert "?lead=" not in result.output


def test_person_writes_everything_held_as_json(runner, client, db, specs_dir):
    submit(client, "ann@example.com")

    result = run(
        runner,
        "person",
        "--client",
        "acme-realty",
        "--email",
        "ann@example.com",
        "--db",
        db,
        "--specs",
        str(specs_dir),
    )

    held = json.loads(result.stdout)
    assert held["lead"]["email"] == "ann@example.com"
    assert held["consents"][0]["agreed"] == 1


def test_forget_asks_first_and_erases(runner, client, db, specs_dir, storage):
    submit(client, "ann@example.com")

    refused = run(
        runner,
        "forget",
        "--client",
        "acme-realty",
        "--email",
        "ann@example.com",
        "--db",
        db,
        "--specs",
        str(specs_dir),
        input="n\n",
    )
    assert refused.exit_code == 1
    assert list(storage.leads("acme-realty"))

    result = run(
        runner,
        "forget",
        "--client",
        "acme-realty",
        "--email",
        " Ann@Example.COM ",
        "--db",
        db,
        "--specs",
        str(specs_dir),
        "--yes",
    )
    assert result.exit_code == 0, result.output
    assert "Erased" in result.output and "ann@example.com" in result.output
    assert list(storage.leads("acme-realty")) == []


def test_token_create_prints_a_token_stored_only_hashed(runner, db, specs_dir, storage):
    result = run(
        runner,
        "token",
        "create",
        "--client",
        "acme-realty",
        "--db",
        db,
        "--specs",
        str(specs_dir),
    )

    value = result.stdout.strip()
    assert result.exit_code == 0
    assert storage.client_of_token(value) == "acme-realty"
    stored = [row["hash"] for row in storage.db.query("SELECT hash FROM api_tokens")]
    assert value not in stored


def test_deliveries_lists_failures_and_redeliver_queues_them(
    runner, client, db, storage, deliverer, receiver
):
    receiver.answers = [(500, {})] * 5
    submit(client)
    for _ in range(5):
        deliverer.run_once()

    listed = run(runner, "deliveries", "--db", db)
    assert "failed" in listed.stdout and "HTTP 500" in listed.stdout

    replay = run(runner, "redeliver", "--all-failed", "--db", db)
    assert "1 deliveries queued again" in replay.output
    deliverer.run_once()
    assert storage.deliveries()[0]["status"] == "delivered"


def test_redeliver_needs_ids_or_all_failed(runner, db):
    result = run(runner, "redeliver", "--db", db)

    assert result.exit_code == 2
    assert "--all-failed" in result.output


def test_deliver_once_sends_what_is_due(runner, client, db, specs_dir, receiver):
    from .webhooks import SECRET as HOOK_SECRET
    from .webhooks import hook_up

    hook_up(specs_dir, receiver.url)
    submit(client)

    result = runner.invoke(
        main,
        ["deliver", "--once", "--db", db, "--specs", str(specs_dir)],
        env={"ACME_HOOK_SECRET": HOOK_SECRET},
    )

    assert result.exit_code == 0, result.output
    assert len(receiver.accepted_ids()) == 1


def test_spam_list_and_release(runner, app, client, db, storage):
    app.config["FORMSERVER_MIN_FILL_SECONDS"] = 60
    submit(client, "fast@example.com")
    [flagged] = storage.flagged()
    assert list(storage.leads("acme-realty")) == []

    listed = run(runner, "spam", "list", "--db", db)
    assert flagged["id"] in listed.stdout
    assert "completed" in listed.stdout

    released = run(runner, "spam", "release", flagged["id"], "--db", db)
    assert released.exit_code == 0, released.output
    [lead] = storage.leads("acme-realty")
    assert lead["email"] == "fast@example.com"
    assert storage.flagged() == []


def test_commands_without_a_database_name_the_flag(runner, tmp_path):
    for args in (
        ["deliveries"],
        ["spam", "list"],
        ["person", "--client", "c", "--email", "e@x.com"],
    ):
        result = run(runner, *args, "--db", str(tmp_path / "missing.db"))
        assert result.exit_code == 1
        assert "pass --db" in result.output


def test_tokens_are_listed_without_their_value_and_can_be_revoked(
    runner, db, specs_dir, storage
):
    specs = ["--specs", str(specs_dir)]
    value = run(
        runner,
        "token",
        "create",
        "--client",
        "acme-realty",
        "--label",
        "crm",
        "--db",
        db,
        *specs,
    ).stdout.strip()
    [row] = storage.api_tokens("acme-realty")

    listed = run(runner, "token", "list", "--client", "acme-realty", "--db", db, *specs)
    revoked = run(runner, "token", "revoke", row["id"], "--db", db)
    again = run(runner, "token", "revoke", row["id"], "--db", db)

    assert row["id"] in listed.stdout and "crm" in listed.stdout
    assert value not in listed.stdout
    assert revoked.exit_code == 0
    assert storage.client_of_token(value) is None
    assert again.exit_code == 1 and "token list" in again.output


#: Every command that takes --client, with what else it needs to run.
COMMANDS_WITH_A_CLIENT = {
    "export": ["export"],
    "lead-link": ["lead-link", "--email", "ann@example.com"],
    "person": ["person", "--email", "ann@example.com"],
    "forget": ["forget", "--email", "ann@example.com", "--yes"],
    "token create": ["token", "create"],
    "token list": ["token", "list"],
    "spam list": ["spam", "list"],
}


@pytest.mark.parametrize(
    "command", COMMANDS_WITH_A_CLIENT.values(), ids=COMMANDS_WITH_A_CLIENT.keys()
)
def test_every_client_command_refuses_a_client_with_no_folder_under_specs(
    runner, db, specs_dir, storage, command
):
    result = run(
        runner,
        *command,
        "--client",
        "acme-realy",
        "--db",
        db,
        "--specs",
        str(specs_dir),
    )

    assert result.exit_code == 2, result.output
    assert "Invalid value for '--client'" in result.output
    assert "there is no client 'acme-realy'" in result.output
    assert "acme-realty, brightside-home, northwind-software" in result.output
    assert "did you mean 'acme-realty'?" in result.output
    assert storage.api_tokens("acme-realy") == []


def test_an_unknown_client_unlike_any_other_is_refused_without_a_guess(
    runner, client, db, specs_dir, storage
):
    submit(client, "ann@example.com")

    result = run(
        runner,
        "forget",
        "--client",
        "nosuch",
        "--email",
        "ann@example.com",
        "--db",
        db,
        "--specs",
        str(specs_dir),
        "--yes",
    )

    assert result.exit_code == 2
    assert "there is no client 'nosuch'" in result.output
    assert "did you mean" not in result.output
    assert "Erased" not in result.output
    assert len(list(storage.leads("acme-realty"))) == 1


@pytest.mark.parametrize("email", ["", " ", "ann", "ann@", "@example.com", "a@b"])
def test_forget_refuses_a_blank_or_malformed_email_and_erases_nothing(
    runner, client, db, specs_dir, storage, email
):
    submit(client, "ann@example.com")
    page = client.get("/f/acme-realty/property-enquiry")
    client.post(
        "/f/acme-realty/property-enquiry",
        data={"_t": token_of(page), "_step": "role", "role": "developer"},
    )
    partials = "SELECT count(*) FROM partials"
    assert storage.db.execute(partials).fetchone()[0] == 2

    result = run(
        runner,
        "forget",
        "--client",
        "acme-realty",
        "--email",
        email,
        "--db",
        db,
        "--specs",
        str(specs_dir),
        "--yes",
    )

    assert result.exit_code == 2
    assert "Invalid value for '--email'" in result.output
    assert f"{email!r} is not an email address" in result.output
    assert storage.db.execute(partials).fetchone()[0] == 2
    assert len(list(storage.leads("acme-realty"))) == 1
