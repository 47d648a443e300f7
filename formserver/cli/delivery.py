"""Commands for webhook delivery: a separate worker, failures, replays."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

from . import db_option, main, open_storage, specs_option


@main.command()
@specs_option
@db_option
@click.option("--once", is_flag=True, help="Deliver what is due, then stop.")
def deliver(specs: Path, db: Path, once: bool) -> None:
    """Deliver webhooks as a separate worker (serve does it too)."""
    from ..catalog import Catalog
    from ..delivery import Deliverer

    deliverer = Deliverer(open_storage(db), Catalog(specs))
    if once:
        click.echo(f"{deliverer.run_once()} delivery attempts made")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *args: stop.set())
    click.echo("Delivering webhooks; Ctrl-C to stop.")
    try:
        deliverer.run(stop)
    except KeyboardInterrupt:
        stop.set()


@main.command()
@click.option(
    "--status",
    type=click.Choice(["failed", "pending", "delivered", "disabled", "all"]),
    default="failed",
    show_default=True,
)
@db_option
def deliveries(status: str, db: Path) -> None:
    """List webhook deliveries (by default the failed ones) with their errors."""
    storage = open_storage(db)
    rows = storage.deliveries(None if status == "all" else status)
    for row in rows:
        click.echo(_line(row))
    click.echo(f"{len(rows)} deliveries", err=True)


def _line(row: dict[str, Any]) -> str:
    error = row["last_error"] or ""
    return (
        f"{row['id']:>6}  {row['status']:<9}  {row['type']:<16}  {row['event_id']}"
        f"  attempts={row['attempts']}  {row['endpoint']}  {error}".rstrip()
    )


@main.command()
@click.argument("delivery_ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Replay every failed delivery.")
@db_option
def redeliver(delivery_ids: tuple[int, ...], all_failed: bool, db: Path) -> None:
    """Queue failed deliveries again, keeping their webhook ids."""
    if bool(delivery_ids) == all_failed:
        raise click.UsageError(
            "Give delivery ids (see 'formserver deliveries') or --all-failed, "
            "not both and not neither."
        )
    storage = open_storage(db)
    count = storage.redeliver(None if all_failed else delivery_ids)
    click.echo(f"{count} deliveries queued again")
