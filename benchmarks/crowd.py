"""Simulated prospects completing the example forms over HTTP, along every scenario.

Each prospect is a thread with one keep-alive connection (http.client) that
behaves like a browser without JavaScript: it GETs a form, reads the step
and its ``_t`` token from the page, posts the scenario's answers to the
fields the page shows, and follows every 303 by hand. The answers come from
the scenarios in ``<form>.tests.json`` beside each spec; every completion
types its own email address, so that each makes its own lead.

A completion counts once the server has acknowledged it: the thank-you page
(200 with "Thank you") or the route's redirect (303 to a URL outside the
server). A request that fails to connect, or loses its connection before an
answer, is sent again unchanged (the same token and answers) until the
prospect's patience runs out; that is how a prospect rides out a restart.

Only the standard library is imported here, so that the test suite can load
this file without the benchmarks folder on sys.path.
"""

from __future__ import annotations

import html
import http.client
import itertools
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 60.0
MAX_PAGES = 30
KINDS = ("GET step", "POST step", "final POST", "GET thank-you")

_TOKEN = re.compile(r'name="_t" value="([^"]+)"')
_STEP = re.compile(r'name="_step" value="([^"]+)"')
_FIELD = re.compile(r'class="fs-field[^"]*" id="w-([^"]+)"')
_SEND = re.compile(r'value="next" class="fs-next">Send<')
_THANKS = 'class="fs-thanks"'


class Target(Protocol):
    """Where the server listens now (a restart may move it)."""

    port: int


@dataclass(frozen=True)
class Walk:
    """One scenario of one form: the answers a prospect types, by field id."""

    client: str
    form: str
    scenario: str
    answers: dict[str, tuple[str, ...]]
    email_field: str
    expect: dict[str, Any]

    @property
    def path(self) -> str:
        return f"/f/{self.client}/{self.form}"

    @property
    def key(self) -> str:
        return f"{self.client}/{self.form}: {self.scenario}"


def load_walks(specs: Path) -> list[Walk]:
    """Every scenario of every form under ``specs``, in a stable order.

    A scenario's known ``profile`` is typed as answers instead: these
    prospects are new to the server, so it asks them everything.
    """
    walks = []
    for tests in sorted(specs.glob("*/*.tests.json")):
        spec_file = tests.with_name(tests.name.removesuffix(".tests.json") + ".json")
        fields = _fields(json.loads(spec_file.read_text()))
        by_profile_key = {f.get("profile_key", f["id"]): f["id"] for f in fields}
        email_field = next(f["id"] for f in fields if f.get("type") == "email")
        for scenario in json.loads(tests.read_text())["scenarios"]:
            typed = {
                by_profile_key.get(k, k): v
                for k, v in scenario.get("profile", {}).items()
            }
            typed.update(scenario.get("answers", {}))
            walks.append(
                Walk(
                    client=tests.parent.name,
                    form=spec_file.stem,
                    scenario=scenario.get("name", ""),
                    answers={k: _as_texts(v) for k, v in typed.items()},
                    email_field=email_field,
                    expect=scenario.get("expect", {}),
                )
            )
    return walks


def _fields(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for step in document["steps"] for f in step.get("fields", [])]


def _as_texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, bool):
        return ("y",) if value else ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def unique_email(walk: Walk, run: str, number: int) -> str:
    """The scenario's address made unique to this completion, in lower case."""
    local, _, domain = walk.answers[walk.email_field][0].lower().partition("@")
    return f"{local}.{run}.{number}@{domain}"


@dataclass
class Timeline:
    """When a completion's first answer came back, and its acknowledgment.

    ``final_sent`` is when the request that got the acknowledgment was sent
    (its last attempt); times are ``time.monotonic()``.
    """

    first_answer: float
    final_sent: float | None = None
    acknowledged: float | None = None


@dataclass
class Tally:
    """What the prospects saw, shared by their threads."""

    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    connection_errors: Counter[str] = field(default_factory=Counter)
    resent: int = 0
    started: dict[str, Walk] = field(default_factory=dict)
    acknowledged: dict[str, Walk] = field(default_factory=dict)
    timelines: dict[str, Timeline] = field(default_factory=dict)
    by_walk: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def answered(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1

    def lost_connection(self, error: BaseException) -> None:
        with self.lock:
            self.connection_errors[type(error).__name__] += 1

    def across(self, killed: float, dead: float) -> tuple[set[str], set[str]]:
        """The completions mid-form when the server was killed, and those resumed.

        Mid-form: the first answer was acknowledged (so the partial response
        existed) before ``killed``, and the completion was not acknowledged by
        then. Resumed: of those, the ones whose acknowledged request was sent
        after ``dead`` (when no process of the old server was left), so that
        the restarted server took their token and finished their form.
        """
        mid_form, resumed = set(), set()
        with self.lock:
            for email, line in self.timelines.items():
                if line.first_answer >= killed:
                    continue
                if line.acknowledged is None or line.acknowledged > killed:
                    mid_form.add(email)
                if line.final_sent is not None and line.final_sent > dead:
                    resumed.add(email)
        return mid_form, resumed


class WalkFailed(Exception):
    """A completion that could not go on; its message says where and why."""


class Prospect:
    """One browser without JavaScript or cookies, on one keep-alive connection.

    ``patience`` is how many seconds a request keeps being resent while the
    server cannot be reached; with none, a connection that fails is tried
    once more only if it had been kept alive (as browsers do: the server may
    have closed it while it was idle).
    """

    def __init__(self, target: Target, tally: Tally, patience: float = 0.0) -> None:
        self.target = target
        self.tally = tally
        self.patience = patience
        self.conn: http.client.HTTPConnection | None = None
        self.sent_at = 0.0
        self.answered_at = 0.0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def complete(self, walk: Walk, email: str) -> None:
        """Walk the form until the server acknowledges its completion.

        Raises :class:`WalkFailed` when the server refuses to go on.
        """
        answers = {**walk.answers, walk.email_field: (email,)}
        status, location, page = self.send("GET step", "GET", walk.path)
        for _ in range(MAX_PAGES):
            step, token, final = _read_step(page, status)
            fields = [("_t", token), ("_step", step)]
            for field_id in _FIELD.findall(page):
                fields.extend((field_id, value) for value in answers.get(field_id, ()))
            fields.append(("_action", "next"))
            kind = "final POST" if final else "POST step"
            status, location, page = self.send(kind, "POST", walk.path, fields)
            if status != 303 or not location:
                raise WalkFailed(f"{status} instead of 303 after step {step}")
            self._note_first_answer(email)
            done = self._outside(location)
            if not done:
                status, _, page = self.send("GET step", "GET", _local(location))
                done = status == 200 and _THANKS in page and "Thank you" in page
            if done:
                self._note_acknowledged(email)
                return
        raise WalkFailed(f"no end after {MAX_PAGES} pages")

    def _note_first_answer(self, email: str) -> None:
        with self.tally.lock:
            self.tally.timelines.setdefault(email, Timeline(self.answered_at))

    def _note_acknowledged(self, email: str) -> None:
        with self.tally.lock:
            line = self.tally.timelines[email]
            line.final_sent, line.acknowledged = self.sent_at, self.answered_at

    def send(
        self, kind: str, method: str, path: str, fields: list[Any] | None = None
    ) -> tuple[int, str, str]:
        """One request, resent unchanged while the server cannot be reached."""
        body = urlencode(fields) if fields is not None else None
        give_up_at = time.monotonic() + self.patience
        pause = 0.05
        stale_retry = True
        while True:
            reused = self.conn is not None
            try:
                status, location, page, seconds = self._attempt(method, path, body)
                break
            except (OSError, http.client.HTTPException) as error:
                self.close()
                self.tally.lost_connection(error)
                if reused and stale_retry:
                    stale_retry = False
                elif time.monotonic() >= give_up_at:
                    raise WalkFailed(f"connection: {type(error).__name__}") from None
                else:
                    time.sleep(pause)
                    pause = min(pause * 2, 0.5)
            with self.tally.lock:
                self.tally.resent += 1

        if kind == "GET step" and _THANKS in page:
            kind = "GET thank-you"
        self.tally.answered(kind, status, seconds)
        if status >= 500:
            raise WalkFailed(f"{status} on {kind}")
        return status, location, page

    def _attempt(
        self, method: str, path: str, body: str | None
    ) -> tuple[int, str, str, float]:
        """Status, Location, page and seconds of one try on the connection."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(
                HOST, self.target.port, timeout=REQUEST_TIMEOUT
            )
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        self.sent_at = time.monotonic()
        began = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        seconds = time.perf_counter() - began
        self.answered_at = time.monotonic()
        if response.will_close:
            self.close()
        page = data.decode("utf-8", errors="replace")
        return response.status, response.getheader("Location") or "", page, seconds

    def _outside(self, location: str) -> bool:
        parts = urlsplit(location)
        return parts.scheme == "https" and parts.netloc not in (
            "",
            f"{HOST}:{self.target.port}",
        )


def _read_step(page: str, status: int) -> tuple[str, str, bool]:
    """The step id and token of a step page, and whether it is the last step."""
    step = _STEP.search(page)
    token = _TOKEN.search(page)
    if status != 200 or not (step and token):
        raise WalkFailed(f"{status} without a step form where a step was expected")
    return step.group(1), html.unescape(token.group(1)), bool(_SEND.search(page))


def _local(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Crowd:
    """``size`` prospects taking the walks in turn until :meth:`stop`.

    On stop, each prospect finishes the form it is on and starts no other.
    """

    def __init__(
        self,
        target: Target,
        walks: list[Walk],
        size: int,
        run: str,
        patience: float = 0.0,
    ) -> None:
        self.tally = Tally()
        self._target = target
        self._walks = walks
        self._run = run
        self._patience = patience
        self._numbers = itertools.count()
        self._numbers_lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._prospect, name=f"prospect-{n}", daemon=True)
            for n in range(size)
        ]
        self.began = 0.0
        self.seconds = 0.0

    def start(self) -> None:
        self.began = time.monotonic()
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Let every prospect finish its form, then return."""
        self._stopping.set()
        for thread in self._threads:
            thread.join()
        self.seconds = time.monotonic() - self.began

    def _prospect(self) -> None:
        tally = self.tally
        prospect = Prospect(self._target, tally, self._patience)
        try:
            while not self._stopping.is_set():
                with self._numbers_lock:
                    number = next(self._numbers)
                walk = self._walks[number % len(self._walks)]
                email = unique_email(walk, self._run, number)
                with tally.lock:
                    tally.started[email] = walk
                try:
                    prospect.complete(walk, email)
                except WalkFailed as error:
                    prospect.close()
                    with tally.lock:
                        tally.failures[str(error)] += 1
                    continue
                with tally.lock:
                    tally.acknowledged[email] = walk
                    tally.by_walk[walk.key] += 1
        finally:
            prospect.close()
