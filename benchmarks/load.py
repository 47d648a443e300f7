"""Load test: many prospects completing every example form along every scenario.

Run from the checkout::

    .venv/bin/python benchmarks/load.py [--duration 20] [--prospects 16]
        [--workers 2] [--json]

It starts ``formserver serve --port 0 --workers N`` on a copy of form_specs
and a fresh SQLite database, then --prospects threads complete the three
example forms along every scenario of their ``.tests.json`` for --duration
seconds, each completion with its own email address (benchmarks/crowd.py).
Afterwards the database is read (read-only) and every acknowledged
completion must have exactly one submission, with its lead and the tag its
scenario expects, and ``PRAGMA integrity_check`` must say ok.

Exit status: 0 when every target holds, 1 when one does not, 2 when the
benchmark could not run (bad flags, a server that did not start).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import crowd
import ledger
from liveserver import EXAMPLE_SPECS, LOAD_SETTINGS, LiveServer, ServerError


def number_in(kind: type, low: float, high: float) -> Callable[[str], Any]:
    """An argparse type: a ``kind`` from ``low`` to ``high``, or a clear error."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a {'whole ' if kind is int else ''}number"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: use a value from {low:g} to {high:g}"
            )
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def add_load_options(parser: argparse.ArgumentParser, duration: float) -> None:
    """The options load.py and crash.py share."""
    parser.add_argument(
        "--duration",
        type=number_in(float, 1, 3600),
        default=duration,
        help=f"seconds of load (default: {duration:g})",
    )
    parser.add_argument(
        "--prospects",
        type=number_in(int, 1, 500),
        default=16,
        help="simulated prospects, one thread and connection each (default: 16)",
    )
    parser.add_argument(
        "--workers",
        type=number_in(int, 1, 32),
        default=2,
        help="gunicorn workers of formserver serve, 4 threads each (default: 2)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max in milliseconds (nearest rank), or zeros."""
    if not values:
        return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def rank(q: float) -> float:
        index = max(0, math.ceil(q * len(ordered)) - 1)
        return round(ordered[index] * 1000, 2)

    return {"p50": rank(0.5), "p90": rank(0.9), "p99": rank(0.99), "max": rank(1.0)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/load.py",
        description="Prospects completing every example form along every scenario "
        "over HTTP; then the database is checked against what was acknowledged.",
    )
    add_load_options(parser, duration=20)
    return parser.parse_args(argv)


def progress(args: argparse.Namespace, message: str) -> None:
    print(message, file=sys.stderr if args.json else sys.stdout, flush=True)


def summarise(
    args: argparse.Namespace,
    people: crowd.Crowd,
    walks: list[crowd.Walk],
    book: ledger.Ledger,
) -> dict[str, Any]:
    """The figures of a run and every target, held or failed."""
    tally, seconds = people.tally, people.seconds
    acknowledged = len(tally.acknowledged)
    failed = sum(tally.failures.values())
    untaken = [w.key for w in walks if not tally.by_walk[w.key]]
    targets = {
        "no 5xx": tally.server_errors == 0,
        "none lost": not book.lost,
        "none duplicated": not book.duplicated,
        "integrity_check ok": book.integrity_ok,
        "every completion begun was acknowledged": failed == 0 and acknowledged > 0,
        "every acknowledged completion has its lead": not book.without_lead,
        "every submission tagged as its scenario expects": not book.mistagged,
        "every scenario path completed": not untaken,
    }
    return {
        "settings": {
            "duration_s": args.duration,
            "prospects": args.prospects,
            "workers": args.workers,
            "server_threads_per_worker": 4,
            "cpus": os.cpu_count(),
            "scenario_paths": len(walks),
            "formserver_environment": LOAD_SETTINGS,
        },
        "seconds": round(seconds, 2),
        "completions": acknowledged,
        "completions_per_second": round(acknowledged / seconds, 2) if seconds else 0,
        "requests": tally.requests,
        "requests_per_second": round(tally.requests / seconds, 1) if seconds else 0,
        "latency_ms": {
            kind: {"requests": len(values), **percentiles(values)}
            for kind, values in tally.latencies.items()
        },
        "status_counts": {str(k): v for k, v in sorted(tally.statuses.items())},
        "failed_completions": dict(tally.failures),
        "connection_errors": dict(tally.connection_errors),
        "requests_resent": tally.resent,
        "scenario_paths_not_completed": untaken,
        "database": book.as_dict(),
        "targets": targets,
        "ok": all(targets.values()),
    }


def print_report(results: dict[str, Any]) -> None:
    settings = results["settings"]
    print(
        f"\nformserver load: {settings['prospects']} prospects for "
        f"{settings['duration_s']:g} s on {settings['scenario_paths']} scenario "
        f"paths, gunicorn {settings['workers']} workers x "
        f"{settings['server_threads_per_worker']} threads, {settings['cpus']} CPUs"
    )
    print(
        f"completions: {results['completions']} in {results['seconds']:.1f} s = "
        f"{results['completions_per_second']:.2f}/s; requests: "
        f"{results['requests']} = {results['requests_per_second']:.1f}/s"
    )
    header = f"{'request kind':<16}{'count':>8}{'p50 ms':>10}{'p90 ms':>10}"
    header += f"{'p99 ms':>10}{'max ms':>10}"
    print(f"\n{header}\n{'-' * len(header)}")
    for kind, row in results["latency_ms"].items():
        print(
            f"{kind:<16}{row['requests']:>8}{row['p50']:>10.1f}{row['p90']:>10.1f}"
            f"{row['p99']:>10.1f}{row['max']:>10.1f}"
        )
    print(f"\nstatus codes: {results['status_counts']}")
    print(
        f"connection errors: {results['connection_errors'] or 'none'}; "
        f"requests resent: {results['requests_resent']}"
    )
    print(f"failed completions: {results['failed_completions'] or 'none'}")
    db = results["database"]
    print(
        f"database: {db['submissions_in_db']} submissions for "
        f"{db['acknowledged']} acknowledged completions; lost {db['lost']}, "
        f"duplicated {db['duplicated']}, stored but unacknowledged "
        f"{db['stored_but_unacknowledged']}, spam {db['flagged_as_spam']}; "
        f"integrity_check: {', '.join(db['integrity_check'])}"
    )
    if db["tagged_unlike_scenario"]:
        print(f"tagged unlike the scenario: {db['tagged_unlike_scenario_examples']}")
    if results["scenario_paths_not_completed"]:
        print(f"never completed: {results['scenario_paths_not_completed']}")


def print_targets(results: dict[str, Any]) -> None:
    print("\ntargets:")
    for name, held in results["targets"].items():
        print(f"  {'ok    ' if held else 'FAILED'}  {name}")
    if not results["ok"] and results.get("server_log_tail"):
        print(f"\nformserver's log, last lines:\n{results['server_log_tail']}")
    print("result: " + ("ok" if results["ok"] else "FAILED"))


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    walks = crowd.load_walks(EXAMPLE_SPECS)
    server = LiveServer(work, args.workers, ready_path=walks[0].path)
    try:
        server.start()
        progress(args, f"formserver on :{server.port}; {len(walks)} scenario paths")
        people = crowd.Crowd(server, walks, args.prospects, run=secrets.token_hex(3))
        people.start()
        time.sleep(args.duration)
        people.stop()
        alive = server.running
        server.stop()
        book = ledger.check(server.db, people.tally.acknowledged, people.tally.started)
        results = summarise(args, people, walks, book)
        results["targets"]["server ran throughout"] = alive
        results["ok"] = all(results["targets"].values())
        if not results["ok"]:
            results["server_log_tail"] = server.log_tail(40)
        return results
    finally:
        server.kill()


def run(
    args: argparse.Namespace,
    measure: Callable[[argparse.Namespace, Path], dict[str, Any]],
    name: str,
    print_more: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """Measure in a temporary folder, print the results; the exit status."""

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    work = Path(tempfile.mkdtemp(prefix=f"formserver-{name}-"))
    try:
        results = measure(args, work)
    except ServerError as error:
        print(f"benchmarks/{name}.py: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"benchmarks/{name}.py: interrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_report(results)
        if print_more is not None:
            print_more(results)
        print_targets(results)
    return 0 if results["ok"] else 1


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv), measure, "load")


if __name__ == "__main__":
    sys.exit(main())
