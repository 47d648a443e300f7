"""Commands for the marketer's loop: serve, check, graph, init, versions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import db_option, main, open_readonly, specs_option

if TYPE_CHECKING:
    from ..versions import CurrentVersion


@main.command()
@specs_option
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes of the production server.",
)
@click.option(
    "--debug", is_flag=True, help="Run Flask's development server with reloading."
)
def serve(
    specs: Path, db: Path, host: str, port: int, workers: int, debug: bool
) -> None:
    """Serve every form under --specs."""
    from ..app import ConfigError, create_app
    from ..server import run_production

    if not specs.is_dir():
        raise click.ClickException(
            f"The specs folder {specs} does not exist; pass --specs with the folder "
            "that holds your client folders."
        )
    settings: dict[str, Any] = {
        "FORMSERVER_SPECS": str(specs),
        "FORMSERVER_DB": str(db),
    }
    if debug:
        settings["DEBUG"] = True
    try:
        app = create_app(settings)
    except (ConfigError, ValueError) as error:
        raise click.ClickException(str(error)) from None

    forms = app.extensions["formserver"].catalog.forms()
    click.echo(f"formserver serving {len(forms)} forms from {specs}, database {db}")
    public = str(app.config.get("FORMSERVER_PUBLIC_URL") or "").rstrip("/")

    def announce(address: str) -> None:
        for client_id, form_id in forms:
            click.echo(f"  {public or address}/f/{client_id}/{form_id}")

    if debug:
        # With --port 0 the development server picks the port and prints it.
        announce(f"http://{host}:{port}" if port else "")
        app.run(host=host, port=port, debug=True)
    else:
        run_production(app, host, port, workers, on_ready=announce)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one object per problem, for tools.",
)
@specs_option
def check(paths: tuple[Path, ...], output: str, specs: Path) -> None:
    """Check specs, client files and their scenarios before they go live.

    PATHS are spec files or folders (default: the --specs folder). Exits 1 when
    any error is found; warnings alone exit 0.
    """
    from ..checker import check_paths

    targets = list(paths) or [specs]
    problems = check_paths(targets)
    errors = [p for p in problems if p.severity == "error"]
    if output == "json":
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        warnings = len(problems) - len(errors)
        click.echo(
            f"{_count(len(errors), 'error')}, {_count(warnings, 'warning')}",
            err=True,
        )
    sys.exit(1 if errors else 0)


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _form_key(
    ctx: click.Context, param: click.Parameter, value: str
) -> tuple[str, str]:
    from ..scaffold import ID_PATTERN

    client, _, form = value.partition("/")
    if not (ID_PATTERN.match(client) and ID_PATTERN.match(form)):
        raise click.BadParameter(
            f"'{value}' is not CLIENT/FORM; write the client folder and the form "
            "id, like acme-realty/property-enquiry"
        )
    return client, form


def _load_form(specs: Path, client: str, form: str) -> Any:
    from ..catalog import Catalog, load_spec
    from ..problems import SpecError

    path = specs / client / f"{form}.json"
    if not path.is_file():
        known = ", ".join(f"{c}/{f}" for c, f in Catalog(specs).forms()[:10])
        hint = f"; the forms there are {known}" if known else ""
        raise click.ClickException(
            f"There is no form {client}/{form}: {path} does not exist{hint}. "
            "Pass --specs with the folder that holds your client folders."
        )
    try:
        return load_spec(path, client, form)
    except SpecError as error:
        listed = "\n".join(f"  {problem}" for problem in error.problems)
        raise click.ClickException(
            f"The spec {path} is broken; fix these problems first:\n{listed}"
        ) from None


@main.command()
@click.argument("form_key", metavar="CLIENT/FORM", callback=_form_key)
@specs_option
@click.option(
    "--format",
    "output",
    type=click.Choice(["mermaid", "svg"]),
    default="mermaid",
    show_default=True,
    help="mermaid: a flowchart to paste into docs; svg: a drawing.",
)
def graph(form_key: tuple[str, str], specs: Path, output: str) -> None:
    """Print the steps of a form, its branches and where it ends."""
    from ..graph import mermaid, svg

    spec = _load_form(specs, *form_key)
    click.echo(svg(spec) if output == "svg" else mermaid(spec), nl=False)


@main.command()
@click.argument("client")
@click.argument("form")
@specs_option
def init(client: str, form: str, specs: Path) -> None:
    """Write a starter form FORM for CLIENT, with scenarios that pass."""
    from ..scaffold import ScaffoldError, init_form

    try:
        paths = init_form(specs, client, form)
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(
            f"Cannot write the starter files to {error.filename or specs}: "
            f"{error.strerror or error}"
        ) from None

    for path in paths:
        click.echo(f"wrote {path}")
    click.echo("\nNext, edit the form, then:")
    click.echo(f"  formserver check {specs / client / f'{form}.json'}")
    click.echo(f"  formserver serve --specs {specs}")
    click.echo(f"  and open http://127.0.0.1:8000/f/{client}/{form}")


@main.command()
@click.argument("form_key", metavar="CLIENT/FORM", callback=_form_key)
@specs_option
@db_option
def versions(form_key: tuple[str, str], specs: Path, db: Path) -> None:
    """List the versions of a form prospects have used, oldest first."""
    import sqlite3

    from ..versions import current_version, list_versions

    client, form = form_key
    database = open_readonly(db)
    current = current_version(specs, client, form)
    for problem in current.problems:
        click.echo(f"the spec is broken: {problem}", err=True)
    try:
        rows = list_versions(database, current.version, client, form)
    except sqlite3.DatabaseError as error:
        raise click.ClickException(
            f"{db} is not a formserver database ({error}); pass --db with the "
            "file that formserver serve uses."
        ) from None
    finally:
        database.close()
    if not rows:
        raise click.ClickException(_unknown_form(current, specs, db, form_key))

    _print_table(rows)


def _unknown_form(
    current: CurrentVersion, specs: Path, db: Path, form_key: tuple[str, str]
) -> str:
    """Why no version of a form can be listed, and what to check."""
    client, form = form_key
    if current.problems:
        return (
            f"The database at {db} holds no version of {client}/{form}, and its "
            f"spec {current.path} is broken; fix the problems above first."
        )
    return (
        f"Neither {specs} nor the database at {db} knows "
        f"the form {client}/{form}; check its spelling, --specs and --db."
    )


def _print_table(rows: list[dict[str, Any]]) -> None:
    header = ("version", "", "first seen", "first use", "last use", "submissions")
    table = [header] + [
        (
            row["version"],
            "current" if row["current"] else "",
            *(_when(row[key]) for key in ("first_seen", "first_use", "last_use")),
            str(row["submissions"]),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        cells[-1] = line[-1].rjust(widths[-1])
        click.echo("  ".join(cells).rstrip())


def _when(stamp: str | None) -> str:
    """A stored UTC time to the minute, as a table shows it."""
    return f"{stamp[:16].replace('T', ' ')} UTC" if stamp else "-"
