"""The ``formserver`` command line: one group, its commands in submodules."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import click

from ..config import defaults

DEFAULTS = defaults()


def specs_option(function: Any) -> Any:
    return click.option(
        "--specs",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULTS["FORMSERVER_SPECS"],
        envvar="FORMSERVER_SPECS",
        show_default=True,
        help="Folder of client folders with form specs.",
    )(function)


def db_option(function: Any) -> Any:
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULTS["FORMSERVER_DB"],
        envvar="FORMSERVER_DB",
        show_default=True,
        help="Path of the SQLite database.",
    )(function)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="formserver")
def main() -> None:
    """Multi-step lead forms that qualify leads while prospects fill them in."""


def open_storage(db: Path) -> Any:
    """The database at ``db``, or a clear error naming the flag that fixes it."""
    from ..storage import Storage

    if not db.is_file():
        raise click.ClickException(
            f"There is no database at {db}; pass --db with the file that "
            "formserver serve uses."
        )
    try:
        return Storage(db)
    except sqlite3.DatabaseError as error:
        raise click.ClickException(
            f"{db} is not a formserver database ({error}); pass --db with the "
            "file that formserver serve uses."
        ) from None


from . import delivery, forms, leads  # noqa: E402,F401  (registers the commands)
