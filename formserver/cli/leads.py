"""Commands about leads: export, lead links, data rights, API tokens, spam."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlencode

import click

from . import db_option, main, open_storage, specs_option


def _email(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The email as leads are keyed; a blank or malformed one is refused."""
    from ..fieldtypes import normalised_email

    email = normalised_email(value)
    if email is None:
        raise click.BadParameter(
            f"{value!r} is not an email address; pass the address the person "
            "gave, like ann@example.com."
        )
    return email


client_option = click.option(
    "--client", "client_id", required=True, help="The client folder's name."
)
email_option = click.option(
    "--email", required=True, callback=_email, help="The person's email."
)


def _require_client(specs: Path, client_id: str) -> None:
    """Refuse a client with no folder under ``specs``, naming the known ones."""
    from ..catalog import CLIENT_FILE
    from ..problems import did_you_mean

    if not specs.is_dir():
        raise click.BadParameter(
            f"the specs folder {specs} does not exist, so no client is known; "
            "pass --specs with the folder that holds your client folders.",
            param_hint="'--specs'",
        )
    known = sorted(
        folder.name for folder in specs.iterdir() if (folder / CLIENT_FILE).is_file()
    )
    if client_id not in known:
        listed = ", ".join(known) or "none"
        raise click.BadParameter(
            f"there is no client {client_id!r} under {specs}; the clients are "
            f"{listed}{did_you_mean(client_id, known) or '.'}",
            param_hint="'--client'",
        )


@main.command()
@client_option
@click.option(
    "--format",
    "output",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
)
@specs_option
@db_option
def export(client_id: str, output: str, specs: Path, db: Path) -> None:
    """Write the leads of one client, with their tags, to standard output."""
    from ..export import write_leads

    storage = open_storage(db)
    _require_client(specs, client_id)
    count = write_leads(storage.leads(client_id), output, sys.stdout)
    click.echo(f"{count} leads of {client_id} exported", err=True)


@main.command("lead-link")
@client_option
@email_option
@click.option("--form", "form_id", help="The form to link to (default: its only one).")
@click.option(
    "--base-url",
    envvar="FORMSERVER_PUBLIC_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Public address of this server.",
)
@specs_option
@db_option
def lead_link(
    client_id: str,
    email: str,
    form_id: str | None,
    base_url: str,
    specs: Path,
    db: Path,
) -> None:
    """Print a signed link that recognises a lead, for nurture emails."""
    from ..app import ConfigError, create_app

    storage = open_storage(db)
    _require_client(specs, client_id)
    lead = storage.lead_by_email(client_id, email)
    if lead is None:
        raise click.ClickException(
            f"{client_id} has no lead with the email {email}; check --client and "
            "--email (a lead exists once its first form is submitted)."
        )
    try:
        app = create_app({"FORMSERVER_DB": str(db), "FORMSERVER_SPECS": str(specs)})
    except (ConfigError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    services = app.extensions["formserver"]
    form_id = _linked_form(services.catalog.forms(), client_id, form_id)
    token = services.tokens.sign_lead(client_id, lead["id"])
    query = urlencode({"lead": token})
    click.echo(f"{base_url.rstrip('/')}/f/{client_id}/{form_id}?{query}")


def _linked_form(
    forms: list[tuple[str, str]], client_id: str, form_id: str | None
) -> str:
    """The form a link opens: ``form_id`` if the client has it, else its only one."""
    from ..problems import did_you_mean

    own = [form for client, form in forms if client == client_id]
    listed = ", ".join(own) or "none"
    if form_id is None and len(own) != 1:
        raise click.ClickException(
            f"Pass --form: {client_id} has these forms: {listed}."
        )
    if form_id is not None and form_id not in own:
        raise click.BadParameter(
            f"{client_id} has no form {form_id!r}; its forms are "
            f"{listed}{did_you_mean(form_id, own) or '.'}",
            param_hint="'--form'",
        )
    return form_id or own[0]


@main.command()
@client_option
@email_option
@specs_option
@db_option
def person(client_id: str, email: str, specs: Path, db: Path) -> None:
    """Write everything held about one person as JSON (an access request)."""
    storage = open_storage(db)
    _require_client(specs, client_id)
    held = storage.person(client_id, email)
    click.echo(json.dumps(held, indent=2, ensure_ascii=False))
    if not (held["lead"] or held["forms_in_progress"] or held["submissions"]):
        click.echo(f"Nothing is held about {email} at {client_id}.", err=True)


@main.command()
@client_option
@email_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@specs_option
@db_option
def forget(client_id: str, email: str, yes: bool, specs: Path, db: Path) -> None:
    """Erase a person everywhere and tell the endpoints their lead reached."""
    storage = open_storage(db)
    _require_client(specs, client_id)
    if not yes:
        click.confirm(
            f"Erase everything held about {email} at {client_id}?", abort=True
        )
    result = storage.forget(client_id, email)
    erased = sum(result["erased"].values())
    click.echo(f"Erased {erased} records about {email} at {client_id}.")
    for endpoint in result["notified"]:
        click.echo(f"  lead.erased queued for {endpoint}")
    if not result["log_emptied"]:
        click.echo(
            f"Warning: another process is reading {db}, so its write-ahead log "
            f"({db}-wal) still holds the erased rows; run forget again once it "
            "is idle to empty the log.",
            err=True,
        )


@main.group()
def token() -> None:
    """API tokens of clients."""


@token.command("create")
@client_option
@click.option("--label", default="", help="A note on who uses the token.")
@specs_option
@db_option
def token_create(client_id: str, label: str, specs: Path, db: Path) -> None:
    """Create an API token for a client; it is shown once, stored hashed."""
    storage = open_storage(db)
    _require_client(specs, client_id)
    value = storage.create_api_token(client_id, label)
    click.echo(value)
    click.echo(
        f"Keep it safe: only its hash is stored. Use it as "
        f"'Authorization: Bearer …' on /api/v1/ for {client_id}.",
        err=True,
    )


@token.command("list")
@client_option
@specs_option
@db_option
def token_list(client_id: str, specs: Path, db: Path) -> None:
    """List a client's API tokens (ids and labels; tokens are never shown again)."""
    storage = open_storage(db)
    _require_client(specs, client_id)
    rows = storage.api_tokens(client_id)
    for row in rows:
        used = row.get("last_used_at") or "never used"
        click.echo(
            f"{row['id']}  {row['label'] or '-'}  created {row['created_at']}  {used}"
        )
    click.echo(f"{len(rows)} tokens", err=True)


@token.command("revoke")
@click.argument("token_id")
@db_option
def token_revoke(token_id: str, db: Path) -> None:
    """Revoke an API token by its id (see 'formserver token list')."""
    if not open_storage(db).revoke_api_token(token_id):
        raise click.ClickException(
            f"There is no token {token_id}; 'formserver token list' shows them."
        )
    click.echo(f"revoked {token_id}")


@main.group()
def spam() -> None:
    """Submissions flagged as suspected spam."""


@spam.command("list")
@click.option("--client", "client_id", help="Only this client.")
@specs_option
@db_option
def spam_list(client_id: str | None, specs: Path, db: Path) -> None:
    """List flagged submissions with why they were flagged."""
    storage = open_storage(db)
    if client_id is not None:
        _require_client(specs, client_id)
    rows = storage.flagged(client_id)
    for row in rows:
        reasons = ", ".join(row["spam_reasons"] or [])
        click.echo(
            f"{row['id']}  {row['client']}/{row['form']}  {row['submitted_at']}"
            f"  {reasons}"
        )
    click.echo(f"{len(rows)} flagged submissions", err=True)


@spam.command("release")
@click.argument("submission_ids", nargs=-1, required=True)
@db_option
def spam_release(submission_ids: tuple[str, ...], db: Path) -> None:
    """Treat flagged submissions as genuine: make leads and hand them off."""
    storage = open_storage(db)
    for submission_id in submission_ids:
        lead_id = storage.release(submission_id)
        if lead_id is None:
            raise click.ClickException(
                f"{submission_id} is not a flagged submission; "
                "'formserver spam list' shows them."
            )
        click.echo(f"released {submission_id} as lead {lead_id}")
