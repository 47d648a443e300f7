"""Crash test: the load of benchmarks/load.py while the server is SIGKILLed.

Run from the checkout::

    .venv/bin/python benchmarks/crash.py [--kills 3] [--duration 30]
        [--prospects 16] [--workers 2] [--json]

Prospects complete every example form along every scenario, as in
benchmarks/load.py. --kills times during the run, evenly spaced, the server's
whole process group (the gunicorn master and every worker) gets SIGKILL: no
worker finishes its request, no connection is closed politely, SQLite is
left mid-transaction. The server is then started again on the same database,
with the same secret key, on the same port (or another one, which the
prospects follow). A prospect whose request fails to connect, or loses its
connection before an answer, sends the same request again (the same token and
answers) until the server is back. After the run the server is SIGKILLed once
more, and the database it leaves is checked, read-only: every acknowledged
completion has exactly one submission, ``PRAGMA integrity_check`` is ok, and
every prospect who was in the middle of a form at a kill has finished it with
the token they held ("resumed after crash").

Exit status: 0 when every target holds, 1 when one does not, 2 when the test
could not run (bad flags, a server that did not start or restart).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import crowd
import ledger
import load
from liveserver import EXAMPLE_SPECS, LiveServer

#: Least seconds of load before each kill, so that prospects are mid-form.
LEAST_LOAD = 2.0
#: How long a prospect keeps resending a request while the server is down.
PATIENCE = 180.0
DURABILITY = (
    "Why nothing acknowledged is lost: SQLite runs in WAL mode; a submission "
    "(what the thank-you page or the route's redirect acknowledges) is committed "
    "with synchronous=FULL, so its WAL frames are fsynced before the answer is "
    "sent; answers in progress are committed with synchronous=NORMAL, so their "
    "WAL frames reach the OS page cache at COMMIT and are fsynced later. A "
    "SIGKILL ends the process, not the kernel: the page cache survives, so "
    "nothing committed is lost. Only a power cut or a kernel crash could lose the "
    "last progress saves, never an acknowledged submission."
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/crash.py",
        description="Prospects completing every example form while the server is "
        "SIGKILLed and restarted; then the database is checked against what was "
        "acknowledged.",
    )
    parser.add_argument(
        "--kills",
        type=load.number_in(int, 1, 50),
        default=3,
        help="times the server is killed and restarted during the run (default: 3)",
    )
    load.add_load_options(parser, duration=30)
    args = parser.parse_args(argv)
    least = LEAST_LOAD * (args.kills + 1)
    if args.duration < least:
        parser.error(
            f"--duration {args.duration:g} is too short for --kills {args.kills}: "
            f"each kill needs {LEAST_LOAD:g} s of load before it and after the "
            f"last; use --duration {least:g} or more, or fewer --kills"
        )
    return args


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    walks = crowd.load_walks(EXAMPLE_SPECS)
    server = LiveServer(work, args.workers, ready_path=walks[0].path)
    try:
        server.start()
        load.progress(args, f"formserver on :{server.port}; {len(walks)} paths")
        people = crowd.Crowd(
            server, walks, args.prospects, run=secrets.token_hex(3), patience=PATIENCE
        )
        people.start()
        kills = crash_repeatedly(args, server, people)
        people.stop()
        server.kill()  # the last state checked is also one a SIGKILL left
        book = ledger.check(server.db, people.tally.acknowledged, people.tally.started)
        results = load.summarise(args, people, walks, book)
        add_crash_results(results, args, kills, people.tally)
        if not results["ok"]:
            results["server_log_tail"] = server.log_tail(40)
        return results
    finally:
        server.kill()


def crash_repeatedly(
    args: argparse.Namespace, server: LiveServer, people: crowd.Crowd
) -> list[dict[str, Any]]:
    """Kill and restart the server --kills times, evenly spaced; what happened."""
    kills = []
    began = people.began
    spacing = args.duration / (args.kills + 1)
    ready = began
    for number in range(1, args.kills + 1):
        _sleep_until(max(began + spacing * number, ready + LEAST_LOAD))
        killed = time.monotonic()
        server.kill()
        dead = time.monotonic()
        old_port = server.port
        server.restart()
        ready = time.monotonic()
        kills.append(
            {
                "at_s": round(killed - began, 2),
                "down_s": round(ready - killed, 2),
                "port": "same" if server.port == old_port else f"new {server.port}",
                "killed": killed,
                "dead": dead,
            }
        )
        load.progress(
            args,
            f"kill {number}: SIGKILL at {killed - began:.1f} s; "
            f"back after {ready - killed:.1f} s",
        )
    _sleep_until(max(began + args.duration, ready + LEAST_LOAD))
    return kills


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def add_crash_results(
    results: dict[str, Any],
    args: argparse.Namespace,
    kills: list[dict[str, Any]],
    tally: crowd.Tally,
) -> None:
    """The crash figures and targets, added to load.summarise's results."""
    caught: set[str] = set()
    resumed: set[str] = set()
    for kill in kills:
        mid_form, carried_on = tally.across(kill.pop("killed"), kill.pop("dead"))
        kill["mid_form"] = len(mid_form)
        kill["resumed"] = len(carried_on)
        caught |= mid_form
        resumed |= carried_on
    results["settings"]["kills"] = args.kills
    results["kills"] = kills
    results["kills_survived"] = len(kills)
    results["mid_form_at_a_kill"] = len(caught)
    results["resumed_after_crash"] = len(resumed)
    results["durability"] = DURABILITY
    targets = results["targets"]
    targets["server restarted after every kill"] = len(kills) == args.kills
    targets["prospects were mid-form at the kills"] = bool(caught)
    targets["every prospect mid-form at a kill finished"] = (
        caught <= tally.acknowledged.keys()
    )
    targets["prospects resumed after a crash"] = bool(resumed)
    results["ok"] = all(targets.values())


def print_crash(results: dict[str, Any]) -> None:
    print(f"\nkills survived: {results['kills_survived']}")
    for number, kill in enumerate(results["kills"], start=1):
        print(
            f"  kill {number}: at {kill['at_s']:.1f} s, {kill['mid_form']} prospects "
            f"mid-form, {kill['resumed']} of them finished on the restarted server; "
            f"back after {kill['down_s']:.1f} s on {kill['port']} port"
        )
    print(
        f"resumed after crash: {results['resumed_after_crash']} prospects "
        f"(of {results['mid_form_at_a_kill']} mid-form at a kill) finished their "
        "form on the restarted server with the token they held"
    )
    print(f"\n{results['durability']}")


def main(argv: list[str] | None = None) -> int:
    return load.run(parse_args(argv), measure, "crash", print_more=print_crash)


if __name__ == "__main__":
    sys.exit(main())
