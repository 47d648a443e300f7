"""A server killed with SIGKILL under load loses no acknowledged form.

The fast version of benchmarks/crash.py, with its parts: the real production
server (``formserver serve``, gunicorn, two workers) on a copy of the example
specs and a database under ``tmp_path``, and prospects that complete the
example forms along their scenarios over HTTP, each with its own email, and
resend a request unchanged when the server cannot be reached. Mid-run the
server's whole process group is SIGKILLed and started again on the same
database; the database it leaves at the end is checked read-only.
"""

import importlib.util
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROSPECTS = 8
LOAD_SECONDS = 3.0
#: Seconds a prospect keeps resending a request while the server is down;
#: generous, because a loaded machine can take long to start gunicorn.
PATIENCE = 60.0
MID_FORM_DEADLINE = 60.0


def _benchmark_module(name):
    """A module of benchmarks/, which is not a package (and holds http.py)."""
    spec = importlib.util.spec_from_file_location(
        f"formserver_benchmarks_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


crowd = _benchmark_module("crowd")
ledger = _benchmark_module("ledger")
liveserver = _benchmark_module("liveserver")


@pytest.fixture
def server(tmp_path):
    found = liveserver.LiveServer(
        tmp_path, workers=2, ready_path="/f/acme-realty/property-enquiry"
    )
    try:
        found.start()
    except liveserver.ServerError as error:
        found.kill()
        pytest.fail(str(error), pytrace=False)
    try:
        yield found
    finally:
        found.kill()


def wait_until_mid_form(tally, least):
    """Wait until ``least`` prospects have a partial response and no answer yet."""
    deadline = time.monotonic() + MID_FORM_DEADLINE
    while time.monotonic() < deadline:
        with tally.lock:
            waiting = [t for t in tally.timelines.values() if t.acknowledged is None]
        if len(waiting) >= least:
            return
        time.sleep(0.01)
    pytest.fail(f"fewer than {least} prospects were ever mid-form", pytrace=False)


def test_sigkill_loses_no_acknowledged_form_and_prospects_resume(server):
    walks = crowd.load_walks(server.specs)
    people = crowd.Crowd(server, walks, PROSPECTS, run="crash", patience=PATIENCE)
    people.start()
    try:
        time.sleep(LOAD_SECONDS)
        wait_until_mid_form(people.tally, least=2)
        killed = time.monotonic()
        server.kill()
        dead = time.monotonic()
        server.restart()
    finally:
        people.stop()  # every prospect finishes the form it is on
    server.kill()

    tally = people.tally
    log = f"\nformserver's log, last lines:\n{server.log_tail(40)}"
    mid_form, resumed = tally.across(killed, dead)
    book = ledger.check(server.db, tally.acknowledged, tally.started)
    assert tally.server_errors == 0, f"statuses {dict(tally.statuses)}{log}"
    assert not tally.failures, f"failed completions {dict(tally.failures)}{log}"
    assert book.integrity_ok, book.integrity
    assert not book.lost, f"acknowledged but not stored: {book.lost}"
    assert not book.duplicated, f"stored more than once: {book.duplicated}"
    assert book.submissions == len(tally.acknowledged) > 0
    assert mid_form <= tally.acknowledged.keys()
    assert resumed, f"no prospect resumed; {len(mid_form)} were mid-form{log}"
