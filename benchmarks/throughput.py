"""HTTP benchmark: formserver against a minimal Flask app on the same server stack.

Run from the checkout::

    .venv/bin/python benchmarks/throughput.py [--duration 10] [--connections 8]
        [--threads 2] [--workers 2] [--slices 5] [--clients N] [--json]

It starts ``formserver serve`` (gunicorn gthread via formserver.server) on a
copy of form_specs and a fresh SQLite database, and a baseline Flask app that
is served by the same ``run_production`` (same workers and threads) and answers
with a page of exactly the bytes of formserver's first step. Both listen on
127.0.0.1 on a free port. wrk then measures, for --duration seconds each:

* step GET: ``GET /f/acme-realty/property-enquiry`` (the first step);
* step POST: the first step answered (``role=investor``), which creates a
  partial response in SQLite and answers 303;
* the baseline's GET and POST (it parses the form body and answers 303).

Each of these is split into --slices slices that alternate between formserver
and the baseline, so that both see the same background load.

A Python client then completes the acme-realty form along the investor path
(role, investment, contact) with --clients threads for --duration seconds,
following every 303 by hand, and the number of completions is checked against
the submissions in the database.

formserver runs with its rate limits raised out of reach (their counting
still runs) and no minimum fill time, so that a load test from one address
measures the form, not the protections (see LOAD_SETTINGS).

The machine running this is assumed to be shared and noisy: the useful
figures are the ratios formserver/baseline, measured in the same run. The exit
status is 0 when every request was answered without a 5xx and the submissions
match the completions, whether or not a ratio reaches its target; 1 when a
request failed with a 5xx, the counts differ, or a measurement did not measure
its path (over 1% of its responses not the expected 200/303, more than 1% of
forms failing, or no form completed); 2 when the benchmark could not run (bad
flags, wrk missing, a server that did not start).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "form_specs"
HOST = "127.0.0.1"
CLIENT = "acme-realty"
FORM = "property-enquiry"
FORM_PATH = f"/f/{CLIENT}/{FORM}"
GET_TARGET = 0.5
POST_TARGET = 0.33
START_DEADLINE = 30.0
#: Least share of a wrk measurement's responses that must have the expected
#: status (200 for GET, 303 for POST) for it to count as a measurement.
VALID_SHARE = 0.99
#: Protections that would turn a load test from one address into a test of the
#: protection: limits high enough never to trip (their counting still runs),
#: and no minimum fill time (otherwise every fast completion is held as spam
#: and skips the lead, profile and event writes of a real one).
LOAD_SETTINGS = {
    "FORMSERVER_RATE_LIMIT_ADDRESS": "1000000/minute",
    "FORMSERVER_RATE_LIMIT_FORM": "1000000/minute",
    "FORMSERVER_MIN_FILL_SECONDS": "0",
}
WRK_TIMEOUT = "10s"

# The baseline: the same page bytes for GET; for POST, parse the form body and
# answer 303 to a fixed URL. Served by formserver.server.run_production, so the
# server stack (gunicorn gthread, workers, threads, limits) is formserver's own.
BASELINE_CODE = """
import inspect
import sys
from flask import Flask, Response, redirect, request
from formserver.server import run_production

page_file, host, port, workers = sys.argv[1:5]
with open(page_file, "rb") as f:
    PAGE = f.read()

app = Flask("baseline")

@app.get("/f/<client_id>/<form_id>")
def show(client_id, form_id):
    return Response(PAGE, mimetype="text/html")

@app.post("/f/<client_id>/<form_id>")
def answer(client_id, form_id):
    request.form.get("_t")
    return redirect("/f/baseline/next?t=fixed", code=303)

# Only the server stack: no formserver services (such as a webhook deliverer)
# run beside this app, where run_production can leave them out.
extra = {}
if "deliver" in inspect.signature(run_production).parameters:
    extra["deliver"] = False
run_production(app, host, int(port), int(workers), **extra)
"""

# Counts responses by status class in every wrk thread and prints them, with
# latency percentiles, when wrk is done. The same script (plus the request
# settings for POST) is used for formserver and the baseline, so the client
# does the same work for both.
WRK_LUA = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  s2, s3, s4, s5, sx = 0, 0, 0, 0, 0
end

function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1
  elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1
  elseif status >= 200 then s2 = s2 + 1
  else sx = sx + 1 end
end

function done(summary, latency, requests)
  local total = {s2 = 0, s3 = 0, s4 = 0, s5 = 0, sx = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(total) do
      total[name] = total[name] + (thread:get(name) or 0)
    end
  end
  io.write(string.format(
    "BENCH_STATUS 2xx=%d 3xx=%d 4xx=%d 5xx=%d other=%d\\n",
    total.s2, total.s3, total.s4, total.s5, total.sx))
  io.write(string.format(
    "BENCH_LATENCY_US mean=%.0f p50=%.0f p90=%.0f p99=%.0f max=%.0f\\n",
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
  local e = summary.errors
  io.write(string.format(
    "BENCH_ERRORS connect=%d read=%d write=%d timeout=%d status=%d\\n",
    e.connect, e.read, e.write, e.timeout, e.status))
  io.write(string.format(
    "BENCH_SUMMARY requests=%d duration_us=%d\\n",
    summary.requests, summary.duration))
end
"""

_TOKEN = re.compile(r'name="_t" value="([^"]+)"')
_STEP = re.compile(r'name="_step" value="([^"]+)"')
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class BenchmarkError(RuntimeError):
    """The benchmark could not run (as opposed to a measured failure)."""


# Command line


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
    return value


def _int_in(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be between {low} and {high}, not {value}"
            )
        return value

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/throughput.py",
        description=(
            "Measure formserver's step GET, step POST and completed forms per "
            "second against a minimal Flask app on the same gunicorn stack."
        ),
    )
    parser.add_argument(
        "--duration",
        type=_positive_float,
        default=10.0,
        help="seconds of each measurement (default: 10)",
    )
    parser.add_argument(
        "--connections",
        type=_int_in(1, 10_000),
        default=8,
        help="open connections wrk keeps (wrk -c; default: 8)",
    )
    parser.add_argument(
        "--threads",
        type=_int_in(1, 256),
        default=2,
        help=(
            "wrk client threads (wrk -t; default: 2). The servers always run "
            "formserver.server's 4 threads per worker"
        ),
    )
    parser.add_argument(
        "--workers",
        type=_int_in(1, 64),
        default=2,
        help="gunicorn worker processes of both servers (default: 2)",
    )
    parser.add_argument(
        "--slices",
        type=_int_in(1, 100),
        default=5,
        help=(
            "split each measurement into this many whole-second slices, "
            "alternating formserver and baseline, so that both see the same "
            "background load (default: 5; capped at --duration seconds)"
        ),
    )
    parser.add_argument(
        "--clients",
        type=_int_in(1, 1000),
        default=None,
        help="threads of the form-completing client (default: --connections)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.threads > args.connections:
        parser.error(
            f"--threads ({args.threads}) cannot exceed --connections "
            f"({args.connections}): every wrk thread needs a connection"
        )
    if args.clients is None:
        args.clients = args.connections
    args.slices = max(1, min(args.slices, int(args.duration)))
    return args


def find_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise BenchmarkError(
            "wrk is not installed or not on PATH; install it (Debian/Ubuntu: "
            "apt-get install wrk) and run again"
        )
    return found


# Servers


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"


def _environment(run_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMSERVER_")}
    # gunicorn opens a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl (else
    # ~/.gunicorn/gunicorn.ctl); give each server its own so that the two
    # servers of this run, and any other gunicorn of this user, do not share it.
    run_dir.mkdir(parents=True, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(run_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_server(
    name: str, command: list[str], env: dict[str, str], work: Path
) -> Server:
    log = work / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=work,
            env=env,
            start_new_session=True,  # its own process group: we stop it whole
        )
    return Server(name, process, log)


def wait_for_port(server: Server, deadline: float) -> None:
    """Read gunicorn's "Listening at:" line from the server's log."""
    while time.monotonic() < deadline:
        text = server.log.read_text(errors="replace")
        found = _LISTENING.search(text)
        if found:
            server.port = int(found.group(1))
            return
        if server.process.poll() is not None:
            raise BenchmarkError(
                f"the {server.name} server exited with status "
                f"{server.process.returncode} before listening:\n{_tail(text)}"
            )
        time.sleep(0.05)
    raise BenchmarkError(
        f"the {server.name} server did not log 'Listening at:' within "
        f"{START_DEADLINE:.0f} s:\n{_tail(server.log.read_text(errors='replace'))}"
    )


def wait_until_ready(server: Server, deadline: float) -> bytes:
    """GET the first step until a worker answers 200; return the page."""
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchmarkError(
                f"the {server.name} server exited with status "
                f"{server.process.returncode}:\n"
                f"{_tail(server.log.read_text(errors='replace'))}"
            )
        try:
            status, _, body = fetch(server.port, "GET", FORM_PATH)
        except OSError as error:
            last = str(error)
        else:
            if status == 200:
                return body
            last = f"status {status}"
        time.sleep(0.1)
    raise BenchmarkError(
        f"the {server.name} server did not answer GET {FORM_PATH} with 200 "
        f"within {START_DEADLINE:.0f} s ({last})"
    )


def stop_server(server: Server) -> None:
    """Stop gunicorn (quick shutdown), then kill what is left of its group."""
    process = server.process
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=8)
    # Whatever the master left behind in its process group (our own session).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.splitlines()[-lines:])


def fetch(
    port: int,
    method: str,
    path: str,
    body: str | None = None,
    timeout: float = 10.0,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), data
    finally:
        conn.close()


# wrk


@dataclass
class WrkResult:
    label: str
    requests: int
    seconds: float
    non_2xx_3xx: int
    status: dict[str, int]
    socket_errors: dict[str, int]
    latency_us: dict[str, float]
    slices: list[float] = field(default_factory=list)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests_per_second": round(self.requests_per_second, 1),
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "slices_requests_per_second": [round(r, 1) for r in self.slices],
            "non_2xx_3xx": self.non_2xx_3xx,
            "status": self.status,
            "socket_errors": self.socket_errors,
            "latency_ms": {k: round(v / 1000, 2) for k, v in self.latency_us.items()},
        }


_ACTIVE: set[subprocess.Popen[bytes]] = set()


def run_wrk(
    wrk: str,
    label: str,
    url: str,
    script: Path,
    args: argparse.Namespace,
    duration: float,
) -> WrkResult:
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{max(1, round(duration))}s",
        f"--timeout={WRK_TIMEOUT}",
        "-s",
        str(script),
        url,
    ]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    _ACTIVE.add(process)
    try:
        out, err = process.communicate(timeout=duration + 60)
    finally:
        _ACTIVE.discard(process)
        if process.poll() is None:
            process.kill()
            process.wait()
    text = out.decode(errors="replace")
    if process.returncode != 0:
        raise BenchmarkError(
            f"wrk failed for {label} (status {process.returncode}):\n"
            f"{text}{err.decode(errors='replace')}"
        )
    return parse_wrk(label, text + err.decode(errors="replace"))


def parse_wrk(label: str, text: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    status = re.search(r"^BENCH_STATUS (.*)$", text, re.M)
    latency = re.search(r"^BENCH_LATENCY_US (.*)$", text, re.M)
    errors = re.search(r"^BENCH_ERRORS (.*)$", text, re.M)
    summary = re.search(r"^BENCH_SUMMARY (.*)$", text, re.M)
    if not (rps and status and latency and errors and summary):
        raise BenchmarkError(f"could not read wrk's output for {label}:\n{text}")
    non = re.search(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", text, re.M)

    def pairs(found: re.Match[str]) -> dict[str, float]:
        return {k: float(v) for k, v in (p.split("=") for p in found.group(1).split())}

    totals = pairs(summary)
    seconds = totals["duration_us"] / 1e6
    return WrkResult(
        label=label,
        requests=int(totals["requests"]),
        seconds=seconds,
        non_2xx_3xx=int(non.group(1)) if non else 0,
        status={k: int(v) for k, v in pairs(status).items()},
        socket_errors={k: int(v) for k, v in pairs(errors).items() if k != "status"},
        latency_us=pairs(latency),
        slices=[totals["requests"] / seconds if seconds else 0.0],
    )


def combine(label: str, parts: list[WrkResult]) -> WrkResult:
    """One result from the slices of a measurement.

    Requests per second is all requests over all measured time. Latency
    percentiles cannot be merged exactly: p50 is the median of the slices'
    p50, and mean and max are over all requests; p90 and p99 are the worst
    slice's.
    """
    requests = sum(p.requests for p in parts)
    latency = {
        "mean": sum(p.latency_us["mean"] * p.requests for p in parts) / requests
        if requests
        else 0.0,
        "p50": statistics.median(p.latency_us["p50"] for p in parts),
        "p90": max(p.latency_us["p90"] for p in parts),
        "p99": max(p.latency_us["p99"] for p in parts),
        "max": max(p.latency_us["max"] for p in parts),
    }
    return WrkResult(
        label=label,
        requests=requests,
        seconds=sum(p.seconds for p in parts),
        non_2xx_3xx=sum(p.non_2xx_3xx for p in parts),
        status=dict(sum((Counter(p.status) for p in parts), Counter())),
        socket_errors=dict(sum((Counter(p.socket_errors) for p in parts), Counter())),
        latency_us=latency,
        slices=[r for p in parts for r in p.slices],
    )


def write_scripts(work: Path, token: str) -> tuple[Path, Path]:
    get_script = work / "get.lua"
    get_script.write_text(WRK_LUA)
    body = urlencode(
        [("_t", token), ("_step", "role"), ("role", "investor"), ("_action", "next")]
    )
    post_script = work / "post.lua"
    post_script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n' + WRK_LUA
    )
    return get_script, post_script


# Completing forms


@dataclass
class Completions:
    completed: int = 0
    thanked: int = 0
    pages: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def server_errors(self) -> int:
        return sum(n for kind, n in self.errors.items() if kind.startswith("5"))


class FormError(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Prospect:
    """One browser without JavaScript: keep-alive, redirects followed by hand."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.pages = 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self, method: str, path: str, fields: list[tuple[str, str]] | None = None
    ) -> tuple[int, str, str]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {}
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise FormError(f"connection: {type(error).__name__}") from None
        self.pages += 1
        if response.status >= 500:
            raise FormError(f"{response.status} on {method} {path.split('?')[0]}")
        if response.will_close:
            self.close()
        return (
            response.status,
            response.getheader("Location") or "",
            data.decode("utf-8", errors="replace"),
        )

    def step(self, path: str, expected: str) -> str:
        status, _, page = self.request("GET", path)
        if status != 200:
            raise FormError(f"{status} on GET of step {expected}")
        step = _STEP.search(page)
        token = _TOKEN.search(page)
        if not (step and token):
            raise FormError(f"no form on the page of step {expected}")
        if step.group(1) != expected:
            raise FormError(f"step {step.group(1)} instead of {expected}")
        return html.unescape(token.group(1))

    def answer(self, token: str, step: str, answers: list[tuple[str, str]]) -> str:
        fields = [("_t", token), ("_step", step), *answers, ("_action", "next")]
        status, location, _ = self.request("POST", FORM_PATH, fields)
        if status != 303 or not location:
            raise FormError(f"{status} instead of 303 after step {step}")
        return location

    def complete(self, number: int) -> str:
        """Fill in the investor path; return the Location after the last step."""
        token = self.step(FORM_PATH, "role")
        where = self.answer(token, "role", [("role", "investor")])
        token = self.step(_local(where), "investment")
        where = self.answer(
            token,
            "investment",
            [
                ("ticket_size", "2m"),
                ("asset_classes", "office"),
                ("asset_classes", "logistics"),
                ("markets", "london"),
            ],
        )
        token = self.step(_local(where), "contact")
        return self.answer(
            token,
            "contact",
            [
                ("full_name", f"Bench Prospect {number}"),
                ("email", f"bench-{number}@example.com"),
                ("company", "Benchmark Ltd"),
                ("consent", "y"),
            ],
        )

    def thank_you(self, location: str) -> bool:
        parts = urlsplit(location)
        if parts.netloc and parts.netloc != f"{HOST}:{self.port}":
            return True  # a hot lead is sent to the client's calendar
        status, _, page = self.request("GET", _local(location))
        return status == 200 and 'class="fs-thanks"' in page


def _local(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def complete_forms(port: int, clients: int, duration: float) -> Completions:
    result = Completions()
    numbers = iter(range(1, 10**9))
    number_lock = threading.Lock()
    start = time.monotonic()
    deadline = start + duration

    def run() -> None:
        prospect = Prospect(port)
        try:
            while time.monotonic() < deadline:
                with number_lock:
                    number = next(numbers)
                try:
                    location = prospect.complete(number)
                except FormError as error:
                    with result.lock:
                        result.errors[error.kind] += 1
                    continue
                with result.lock:
                    result.completed += 1
                try:
                    thanked = prospect.thank_you(location)
                except FormError as error:
                    with result.lock:
                        result.errors[error.kind] += 1
                    continue
                with result.lock:
                    if thanked:
                        result.thanked += 1
                    else:
                        result.errors["no thank-you page after the last step"] += 1
        finally:
            prospect.close()
            with result.lock:
                result.pages += prospect.pages

    threads = [threading.Thread(target=run, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - start
    return result


def database_counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        one = lambda sql: int(conn.execute(sql).fetchone()[0])  # noqa: E731
        try:
            spam = one("SELECT COUNT(*) FROM submissions WHERE spam = 1")
        except sqlite3.OperationalError:  # a schema without spam flags
            spam = 0
        return {
            "spam": spam,
            "submissions": one("SELECT COUNT(*) FROM submissions"),
            "leads": one("SELECT COUNT(*) FROM leads"),
            "partials": one("SELECT COUNT(*) FROM partials"),
            "partials_complete": one(
                "SELECT COUNT(*) FROM partials WHERE status = 'complete'"
            ),
        }
    finally:
        conn.close()


# Report


def source_state() -> dict[str, Any]:
    """The commit measured, and whether the working tree differed from it."""

    def git(*words: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *words],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=10,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--", "formserver", "templates")
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(status) if status is not None else None,
    }


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def build_results(
    args: argparse.Namespace,
    page_bytes: int,
    wrk: dict[str, WrkResult],
    forms: Completions,
    partials_created: int,
    db_growth: dict[str, int],
) -> dict[str, Any]:
    def compare(kind: str, target: float) -> dict[str, Any]:
        ours, base = wrk[f"formserver {kind}"], wrk[f"baseline {kind}"]
        value = ratio(ours.requests_per_second, base.requests_per_second)
        per_slice = [
            r
            for a, b in zip(ours.slices, base.slices, strict=True)
            if (r := ratio(a, b)) is not None
        ] or [0.0]
        return {
            "formserver": ours.as_dict(),
            "baseline": base.as_dict(),
            "ratio": round(value, 3) if value is not None else None,
            "target": target,
            "meets_target": value is not None and value >= target,
            "slice_ratio_range": [round(min(per_slice), 3), round(max(per_slice), 3)],
        }

    submissions = db_growth["submissions"]
    results: dict[str, Any] = {
        "settings": {
            "duration_s": args.duration,
            "slices": args.slices,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "workers": args.workers,
            "server_threads_per_worker": 4,
            "clients": args.clients,
            "cpus": os.cpu_count(),
            "formserver_environment": LOAD_SETTINGS,
        },
        "source": source_state(),
        "page_bytes": page_bytes,
        "get": compare("GET", GET_TARGET),
        "post": compare("POST", POST_TARGET),
        "post_partials_created": partials_created,
        "completions": {
            "completed": forms.completed,
            "thank_you_pages": forms.thanked,
            "seconds": round(forms.seconds, 2),
            "per_second": round(forms.completed / forms.seconds, 2)
            if forms.seconds
            else 0.0,
            "requests": forms.pages,
            "requests_per_second": round(forms.pages / forms.seconds, 1)
            if forms.seconds
            else 0.0,
            "errors": dict(forms.errors),
            "submissions_in_db": submissions,
            "leads_in_db": db_growth["leads"],
            "flagged_as_spam": db_growth["spam"],
            "matches_db": submissions == forms.completed,
        },
    }
    failures = []
    for name, result in wrk.items():
        if result.status.get("5xx"):
            failures.append(f"{name}: {result.status['5xx']} responses with 5xx")
    if forms.server_errors:
        failures.append(f"completing forms: {forms.server_errors} responses with 5xx")
    if submissions != forms.completed:
        failures.append(
            f"completing forms: {forms.completed} completions counted but "
            f"{submissions} submissions in the database"
        )
    warnings = []
    expected = {"GET": "2xx", "POST": "3xx"}
    for name, result in wrk.items():
        want = expected[name.split()[-1]]
        unexpected = sum(n for k, n in result.status.items() if k != want)
        if unexpected > (1 - VALID_SHARE) * result.requests:
            failures.append(
                f"{name}: {unexpected} of {result.requests} responses not {want} "
                f"({result.status}), so this is not a measurement of that path"
            )
        elif unexpected:
            warnings.append(
                f"{name}: {unexpected} of {result.requests} responses not {want} "
                f"({result.status})"
            )
        if any(result.socket_errors.values()):
            warnings.append(f"{name}: socket errors {result.socket_errors}")
    if forms.completed == 0:
        failures.append("completing forms: no form was completed")
    failed_forms = sum(forms.errors.values())
    if failed_forms > (1 - VALID_SHARE) * (forms.completed + failed_forms):
        failures.append(
            f"completing forms: {failed_forms} errors against {forms.completed} "
            f"completions ({dict(forms.errors)})"
        )
    elif forms.errors:
        warnings.append(f"completing forms: errors {dict(forms.errors)}")
    if db_growth["spam"]:
        warnings.append(
            f"completing forms: {db_growth['spam']} submissions held as spam "
            "(they skip the lead, profile and event writes)"
        )
    if forms.thanked != forms.completed:
        warnings.append(
            f"completing forms: {forms.completed - forms.thanked} completions "
            "without a thank-you page"
        )
    results["failures"] = failures
    results["warnings"] = warnings
    results["ok"] = not failures
    return results


def print_table(results: dict[str, Any]) -> None:
    settings = results["settings"]
    print(
        f"\nformserver HTTP benchmark: {settings['duration_s']:g} s per measurement "
        f"in {settings['slices']} alternating slices, "
        f"wrk -t{settings['wrk_threads']} -c{settings['connections']}, "
        f"gunicorn gthread {settings['workers']} workers x "
        f"{settings['server_threads_per_worker']} threads, {settings['cpus']} CPUs"
    )
    source = results["source"]
    if source["commit"]:
        dirty = " + uncommitted changes" if source["uncommitted_changes"] else ""
        print(f"formserver at {source['commit']}{dirty}")
    print(f"step page: {results['page_bytes']} bytes (baseline serves the same bytes)")
    print()
    spread = "slices req/s (or ratio) min-max"
    header = (
        f"{'measurement':<28}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'non-2xx/3xx':>13}{'5xx':>6}   {spread}"
    )
    print(header)
    print("-" * len(header))
    for kind in ("get", "post"):
        block = results[kind]
        for who in ("formserver", "baseline"):
            row = block[who]
            print(
                f"{who + ' ' + kind.upper():<28}"
                f"{row['requests_per_second']:>10.1f}"
                f"{row['latency_ms']['p50']:>9.2f}"
                f"{row['latency_ms']['p99']:>9.2f}"
                f"{row['non_2xx_3xx']:>13}"
                f"{row['status'].get('5xx', 0):>6}   "
                f"{min(row['slices_requests_per_second']):.0f}-"
                f"{max(row['slices_requests_per_second']):.0f}"
            )
        value = block["ratio"]
        verdict = "meets" if block["meets_target"] else "MISSES"
        shown = f"{value:.3f}" if value is not None else "n/a"
        low, high = block["slice_ratio_range"]
        line = (
            f"{'  ratio ' + kind.upper():<28}{shown:>10}   "
            f"target >= {block['target']}: {verdict}"
        )
        print(f"{line:<{len(header) - len(spread)}}{low:.2f}-{high:.2f}")
    forms = results["completions"]
    print("-" * len(header))
    print(
        f"{'completed forms/s':<28}{forms['per_second']:>10.2f}   "
        f"{forms['completed']} forms in {forms['seconds']:.1f} s, "
        f"{forms['requests_per_second']:.0f} req/s, "
        f"{sum(forms['errors'].values())} errors"
    )
    print(
        f"{'  submissions in database':<28}{forms['submissions_in_db']:>10}   "
        + ("matches the completions" if forms["matches_db"] else "DOES NOT MATCH")
    )
    print(f"{'  partials from step POSTs':<28}{results['post_partials_created']:>10}")
    for warning in results["warnings"]:
        print(f"warning: {warning}")
    for failure in results["failures"]:
        print(f"FAILED: {failure}")
    if results.get("formserver_log_tail"):
        print("formserver's log, last lines:")
        print(results["formserver_log_tail"])
    print("result: " + ("ok" if results["ok"] else "FAILED"))


# Main


def _progress(args: argparse.Namespace, message: str) -> None:
    print(message, file=sys.stderr if args.json else sys.stdout, flush=True)


def benchmark(args: argparse.Namespace, wrk: str, work: Path) -> dict[str, Any]:
    specs = work / "specs"
    shutil.copytree(SPECS, specs)
    db = work / "formserver.db"
    page_file = work / "page.html"
    servers: list[Server] = []
    try:
        env = _environment(work / "run-formserver")
        env["FORMSERVER_SECRET_KEY"] = secrets.token_hex(32)
        env.update(LOAD_SETTINGS)
        script = Path(sys.executable).with_name("formserver")
        launcher = (
            [str(script)]
            if script.exists()
            else [sys.executable, "-c", "from formserver.cli import main; main()"]
        )
        formserver = start_server(
            "formserver",
            [
                *launcher,
                "serve",
                "--specs",
                str(specs),
                "--db",
                str(db),
                "--host",
                HOST,
                "--port",
                "0",
                "--workers",
                str(args.workers),
            ],
            env,
            work,
        )
        servers.append(formserver)
        deadline = time.monotonic() + START_DEADLINE
        wait_for_port(formserver, deadline)
        page = wait_until_ready(formserver, deadline)
        token = _TOKEN.search(page.decode("utf-8", errors="replace"))
        if token is None:
            raise BenchmarkError("formserver's first step has no _t token")
        page_file.write_bytes(page)

        baseline = start_server(
            "baseline",
            [
                sys.executable,
                "-c",
                BASELINE_CODE,
                str(page_file),
                HOST,
                "0",
                str(args.workers),
            ],
            _environment(work / "run-baseline"),
            work,
        )
        servers.append(baseline)
        deadline = time.monotonic() + START_DEADLINE
        wait_for_port(baseline, deadline)
        base_page = wait_until_ready(baseline, deadline)
        if len(base_page) != len(page):
            raise BenchmarkError(
                f"the baseline page has {len(base_page)} bytes, not {len(page)}"
            )
        _progress(
            args,
            f"formserver on :{formserver.port}, baseline on :{baseline.port}, "
            f"step page {len(page)} bytes",
        )

        get_script, post_script = write_scripts(work, html.unescape(token.group(1)))
        url = {s.name: f"{s.base}{FORM_PATH}" for s in servers}
        # Warm up both: workers import, compile templates, open the database.
        for name in url:
            run_wrk(wrk, f"{name} warm-up", url[name], get_script, args, 1)

        before = database_counts(db)
        results: dict[str, WrkResult] = {}
        after_post = before
        seconds = max(1, round(args.duration / args.slices))
        for kind, script_path in (("GET", get_script), ("POST", post_script)):
            _progress(
                args,
                f"wrk: {kind} on formserver and baseline, {args.slices} x "
                f"{seconds} s each, alternating ...",
            )
            parts: dict[str, list[WrkResult]] = {"formserver": [], "baseline": []}
            for index in range(args.slices):
                order = ["formserver", "baseline"]
                if index % 2:
                    order.reverse()
                for name in order:
                    label = f"{name} {kind}"
                    parts[name].append(
                        run_wrk(wrk, label, url[name], script_path, args, seconds)
                    )
            for name, sliced in parts.items():
                results[f"{name} {kind}"] = combine(f"{name} {kind}", sliced)
            if kind == "POST":
                after_post = database_counts(db)

        before_forms = database_counts(db)
        _progress(
            args,
            f"completing forms with {args.clients} clients for {args.duration:g} s ...",
        )
        forms = complete_forms(formserver.port, args.clients, args.duration)
        after = database_counts(db)
        for server in servers:
            if server.process.poll() is not None:
                raise BenchmarkError(
                    f"the {server.name} server exited during the benchmark:\n"
                    f"{_tail(server.log.read_text(errors='replace'))}"
                )
        growth = {k: after[k] - before_forms[k] for k in after}
        measured = build_results(
            args,
            len(page),
            results,
            forms,
            after_post["partials"] - before["partials"],
            growth,
        )
        if measured["failures"]:
            # The temporary folder goes away; keep what the server said.
            measured["formserver_log_tail"] = _tail(
                formserver.log.read_text(errors="replace"), 40
            )
        return measured
    finally:
        for process in list(_ACTIVE):
            if process.poll() is None:
                process.kill()
        for server in reversed(servers):
            stop_server(server)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    work = Path(tempfile.mkdtemp(prefix="formserver-http-bench-"))
    try:
        wrk = find_wrk()
        results = benchmark(args, wrk, work)
    except BenchmarkError as error:
        print(f"benchmarks/throughput.py: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("benchmarks/throughput.py: interrupted", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print("benchmarks/throughput.py: error: the benchmark failed", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
