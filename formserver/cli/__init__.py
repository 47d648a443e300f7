"""The ``formserver`` command line: one group, its commands in submodules."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..config import defaults

if TYPE_CHECKING:
    import sqlite_utils

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
    """The database at ``db``, migrated; or an error naming the flag that fixes it.

    A SQLite file that holds another application's tables is refused rather
    than given formserver's tables alongside them.
    """
    from ..storage import Storage

    _inspect(db, empty_ok=True)
    try:
        return Storage(db)
    except sqlite3.DatabaseError as error:
        raise _not_formserver(db, str(error)) from None


def open_readonly(db: Path) -> sqlite_utils.Database:
    """The formserver database at ``db`` opened read-only, for commands that look.

    Nothing is migrated or created: a file that is not a formserver database
    is refused with the flag that fixes it.
    """
    import sqlite_utils

    _inspect(db, empty_ok=False)
    return sqlite_utils.Database(_connect_readonly(db))


def _connect_readonly(db: Path) -> sqlite3.Connection:
    from ..storage.database import BUSY_TIMEOUT_MS

    uri = f"{db.resolve().as_uri()}?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)


def _inspect(db: Path, *, empty_ok: bool) -> None:
    """Refuse ``db`` unless it is a formserver database (or, if allowed, empty)."""
    from ..storage.schema import MIGRATIONS

    if not db.is_file():
        raise click.ClickException(
            f"There is no database at {db}; pass --db with the file that "
            "formserver serve uses."
        )
    try:
        with closing(_connect_readonly(db)) as conn:
            tables = {row[0] for row in conn.execute(_TABLES_SQL)}
            version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.OperationalError as error:
        raise click.ClickException(
            f"Cannot read the database at {db} ({error}); check that you may "
            "read it and write to its folder."
        ) from None
    except sqlite3.DatabaseError as error:
        raise _not_formserver(db, str(error)) from None

    if not tables and empty_ok:
        return
    if _FORMSERVER_TABLE not in tables:
        found = f"other tables: {_names(tables)}" if tables else "no tables"
        raise _not_formserver(db, f"it holds {found}")
    if version > len(MIGRATIONS):
        raise click.ClickException(
            f"{db} was written by a newer formserver (schema {version}, this one "
            f"knows up to {len(MIGRATIONS)}); upgrade formserver to read it."
        )


#: A table every formserver database has had since its first schema.
_FORMSERVER_TABLE = "spec_versions"
_TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table'"


def _names(tables: set[str]) -> str:
    shown = sorted(tables)[:3]
    more = f" and {len(tables) - 3} more" if len(tables) > 3 else ""
    return ", ".join(shown) + more


def _not_formserver(db: Path, reason: str) -> click.ClickException:
    return click.ClickException(
        f"{db} is not a formserver database ({reason}); pass --db with the "
        "file that formserver serve uses."
    )


from . import delivery, forms, leads  # noqa: E402,F401  (registers the commands)
