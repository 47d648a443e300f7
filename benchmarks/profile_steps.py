"""Where one step GET and one step POST spend their time, in-process.

Run from the checkout::

    .venv/bin/python benchmarks/profile_steps.py [--requests 500] [--top 25]

Builds the formserver app on a copy of form_specs and a temporary database,
and a minimal Flask app that answers with the same page bytes (GET) or parses
the form and answers 303 (POST), like the baseline of benchmarks/throughput.py. Both
are driven through Flask's test client, so no server or network is involved:
the figures are the application's own cost per request. It prints the mean
time per request of each, then a cProfile breakdown of formserver's GET and
POST of the first step of acme-realty/property-enquiry: the share of a request
spent in each part (template rendering, WTForms, token signing, SQLite ...) and
the functions with the most cumulative time. It also times a one-row write
transaction with the database's ``synchronous`` setting (FULL, as formserver
uses it) and with NORMAL, on the file system the temporary database is on.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORM_PATH = "/f/acme-realty/property-enquiry"

#: Parts of a request, by the function whose cumulative time stands for them.
#: A part whose function is not called (the code moved) is left out.
PARTS: list[tuple[str, str]] = [
    ("whole view function", r"formserver/web/prospects\.py:\d+\((show|answer)\)$"),
    ("render_template (Jinja)", r"flask/templating\.py:\d+\(render_template\)$"),
    ("  url_for (all callers)", r"flask/app\.py:\d+\(url_for\)$"),
    ("WTForms form built", r"wtforms/form\.py:\d+\(__call__\)$"),
    ("token sign", r"formserver/tokens\.py:\d+\(sign\)$"),
    ("token read", r"formserver/tokens\.py:\d+\(read\)$"),
    ("flow: Flow()", r"formserver/engine\.py:\d+\(__init__\)$"),
    ("flow: planned_path", r"formserver/engine\.py:\d+\(planned_path\)$"),
    ("flow: submit", r"formserver/engine\.py:\d+\(submit\)$"),
    ("recognition", r"formserver/web/recognition\.py:\d+\(recognise\)$"),
    ("rate limit check", r"formserver/ratelimit\.py:\d+\(hit\)$"),
    # A generator: cProfile counts each resume, so 2 calls per transaction.
    (
        "SQLite write transactions (*)",
        r"formserver/storage(/\w+)?\.py:\d+\(transaction\)$",
    ),
    ("  remember_spec", r"formserver/storage(/\w+)?\.py:\d+\(remember_spec\)$"),
    ("  start_partial", r"formserver/storage(/\w+)?\.py:\d+\(start_partial\)$"),
    ("  save_partial", r"formserver/storage(/\w+)?\.py:\d+\(save_partial\)$"),
    ("  sqlite3 execute (C)", r"method 'execute' of 'sqlite3\.Connection'"),
    ("json.dumps", r"json/__init__\.py:\d+\(dumps\)$"),
    ("form body parsing", r"werkzeug/wrappers/request\.py:\d+\(_load_form_data\)$"),
]


def _int_at_least(low: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, not {value}")
        return value

    return parse


def baseline_app(page: bytes) -> Any:
    from flask import Flask, Response, redirect, request

    app = Flask("baseline")

    @app.get("/f/<client_id>/<form_id>")
    def show(client_id: str, form_id: str) -> Response:
        return Response(page, mimetype="text/html")

    @app.post("/f/<client_id>/<form_id>")
    def answer(client_id: str, form_id: str) -> Any:
        request.form.get("_t")
        return redirect("/f/baseline/next?t=fixed", code=303)

    return app


def per_request_ms(call: Callable[[], Any], count: int) -> float:
    """Median of 5 rounds of the mean time of ``count`` calls, in ms."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(count):
            call()
        rounds.append((time.perf_counter() - start) / count * 1000)
    return statistics.median(rounds)


def breakdown(call: Callable[[], Any], count: int, top: int, title: str) -> None:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(count):
        call()
    profile.disable()
    stats = pstats.Stats(profile)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in entries.values())

    def name(key: tuple[str, int, str]) -> str:
        filename, line, function = key
        return f"{filename}:{line}({function})"

    print(f"\n{title}: {total / count * 1000:.2f} ms per request under cProfile")
    print(f"  {'part':<30}{'ms/req':>8}{'share':>8}{'calls/req':>11}")
    footnote = False
    for label, pattern in PARTS:
        found = [
            (key, value)
            for key, value in entries.items()
            if re.search(pattern, name(key))
        ]
        if not found:
            continue
        footnote = footnote or "(*)" in label
        calls = sum(v[1] for _, v in found)
        cumulative = sum(v[3] for _, v in found)
        print(
            f"  {label:<30}{cumulative / count * 1000:>8.3f}"
            f"{cumulative / total:>8.0%}{calls / count:>11.1f}"
        )
    if footnote:
        print("  (*) a generator: cProfile counts 2 calls per transaction")
    print(f"\n  top {top} functions by cumulative time (formserver, Jinja, WTForms):")
    ranked = sorted(entries.items(), key=lambda item: -item[1][3])
    shown = 0
    for key, (_, calls, _, cumulative, _) in ranked:
        if shown >= top:
            break
        where = name(key)
        if not re.search(
            r"formserver/|templates/|wtforms/|jinja2/|itsdangerous/", where
        ):
            continue
        where = where.replace(str(ROOT) + "/", "")
        where = re.sub(r"^.*site-packages/", "", where)
        print(f"  {cumulative / count * 1000:>8.3f} ms {calls / count:>6.1f}x  {where}")
        shown += 1


def commit_latency(folder: Path) -> None:
    print(f"\nOne-row write transaction (WAL) in {folder}:")
    for mode in ("FULL", "NORMAL"):
        path = folder / f"commit-{mode}.db"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {mode}")
        conn.execute("CREATE TABLE t (a)")
        times = []
        for i in range(200):
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (?)", [i])
            conn.execute("COMMIT")
            times.append((time.perf_counter() - start) * 1000)
        conn.close()
        times.sort()
        print(
            f"  synchronous={mode:<7} median {statistics.median(times):.3f} ms, "
            f"p90 {times[int(len(times) * 0.9)]:.3f} ms"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmarks/profile_steps.py",
        description="Profile formserver's step GET and POST through the test client.",
    )
    parser.add_argument(
        "--requests",
        type=_int_at_least(10),
        default=500,
        help="requests per measurement (default: 500)",
    )
    parser.add_argument(
        "--top",
        type=_int_at_least(0),
        default=25,
        help="functions listed per profile (default: 25)",
    )
    args = parser.parse_args(argv)

    from formserver.app import create_app

    work = Path(tempfile.mkdtemp(prefix="formserver-profile-"))
    try:
        shutil.copytree(ROOT / "form_specs", work / "specs")
        app = create_app(
            {
                "FORMSERVER_SPECS": str(work / "specs"),
                "FORMSERVER_DB": str(work / "formserver.db"),
                "FORMSERVER_SECRET_KEY": secrets.token_hex(32),
                # As in benchmarks/throughput.py: protections that would reject
                # repeated requests are out of reach (their counting runs).
                "FORMSERVER_RATE_LIMIT_ADDRESS": "1000000/minute",
                "FORMSERVER_RATE_LIMIT_FORM": "1000000/minute",
                "FORMSERVER_MIN_FILL_SECONDS": 0.0,
            }
        )
        client = app.test_client()
        page = client.get(FORM_PATH)
        if page.status_code != 200:
            print(
                f"error: GET {FORM_PATH} answered {page.status_code}", file=sys.stderr
            )
            return 2
        token = re.search(r'name="_t" value="([^"]+)"', page.text)
        if token is None:
            print("error: the first step has no _t token", file=sys.stderr)
            return 2
        body = {
            "_t": token.group(1),
            "_step": "role",
            "role": "investor",
            "_action": "next",
        }
        base = baseline_app(page.data).test_client()

        def get() -> None:
            client.get(FORM_PATH)

        def post() -> None:
            response = client.post(FORM_PATH, data=body)
            assert response.status_code == 303, response.status_code

        def base_get() -> None:
            base.get(FORM_PATH)

        def base_post() -> None:
            base.post(FORM_PATH, data=body)

        for call in (get, post, base_get, base_post):  # warm up
            for _ in range(30):
                call()

        n = args.requests
        print(f"Step page: {len(page.data)} bytes; {n} requests x 5 rounds each")
        print("Mean time per request through the Flask test client (median round):")
        timings = {
            "formserver GET": per_request_ms(get, n),
            "baseline GET": per_request_ms(base_get, n),
            "formserver POST": per_request_ms(post, n),
            "baseline POST": per_request_ms(base_post, n),
        }
        for label, ms in timings.items():
            print(f"  {label:<18}{ms:>8.3f} ms")

        breakdown(get, n, args.top, "formserver GET of the first step")
        breakdown(post, n, args.top, "formserver POST of the first step")
        commit_latency(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
