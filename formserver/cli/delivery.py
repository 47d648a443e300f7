"""Commands for webhook delivery: a separate worker, failures, replays."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import db_option, main, open_storage, specs_option

if TYPE_CHECKING:
    from ..storage.outbox import Replay


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
@click.option(
    "--again", is_flag=True, help="Also send deliveries that were delivered already."
)
@click.option(
    "--reenable",
    is_flag=True,
    help="Re-enable endpoints that answered 410 Gone, and send to them.",
)
@db_option
def redeliver(
    delivery_ids: tuple[int, ...],
    all_failed: bool,
    again: bool,
    reenable: bool,
    db: Path,
) -> None:
    """Queue deliveries to go now, keeping their webhook ids.

    Failed and pending deliveries are queued as they are. One already
    delivered is sent again only with --again (its receiver sees the same
    webhook-id). One whose endpoint answered 410 Gone stays unsent while the
    endpoint is disabled; --reenable lifts that for its endpoint. Named ids
    are queued all or none: an unknown or refused id stops the command.
    --all-failed leaves failed deliveries to disabled endpoints alone.
    """
    if bool(delivery_ids) == all_failed:
        raise click.UsageError(
            "Give delivery ids (see 'formserver deliveries') or --all-failed, "
            "not both and not neither."
        )
    storage = open_storage(db)
    replay = storage.redeliver(
        None if all_failed else delivery_ids, again=again, reenable=reenable
    )
    if delivery_ids and replay.refused:
        raise click.ClickException(" ".join(_refusals(replay)) + " Nothing was queued.")
    for refusal in _refusals(replay):
        click.echo(refusal, err=True)
    click.echo(f"{len(replay.queued)} deliveries queued again")


def _refusals(replay: Replay) -> list[str]:
    """One sentence for each kind of delivery that ``replay`` left alone."""
    sentences = []
    if replay.unknown:
        sentences.append(
            f"No delivery has the id {_ids(replay.unknown, ' or ')}; "
            "'formserver deliveries --status all' lists them."
        )
    if replay.delivered:
        sentences.append(
            f"Already delivered: {_ids(replay.delivered, ', ')}; "
            "pass --again to send again."
        )
    for row in replay.disabled:
        sentences.append(
            f"Delivery {row['id']} goes to {row['endpoint']}, disabled since it "
            f"answered 410 Gone at {row['disabled_at']}; pass --reenable to send "
            "to it again."
        )
    return sentences


def _ids(ids: list[int], joint: str) -> str:
    return joint.join(str(delivery_id) for delivery_id in ids)
