"""Headless Chromium, and the real formserver server the browser tests talk to.

Uses Debian's /usr/bin/chromium through the Playwright sync API directly (not
pytest-playwright's fixtures). Never run `playwright install`.

``live_server`` runs ``formserver serve`` in production mode (gunicorn) as a
subprocess, on a free port, with a copy of the example specs and its own
database under a temporary folder. When a test that used it fails, the lines
the server logged during that test are added to the failure report.
"""

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SPECS = ROOT / "form_specs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Hot routes redirect to calendar links on *.example hosts: fail those
    # here, at once and without asking DNS.
    "--host-resolver-rules=MAP *.example ~NOTFOUND",
]
STARTUP_DEADLINE = 20.0
STOP_DEADLINE = 10.0
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


class LiveServer:
    """A ``formserver serve`` process with its specs folder, database and log.

    ``specs`` is the folder copied in as the server's specs (the examples by
    default); ``env`` adds to or overrides the server's environment.
    """

    def __init__(self, folder, specs=EXAMPLE_SPECS, env=None):
        self.folder = folder
        self.source = Path(specs)
        self.extra_env = dict(env or {})
        self.specs = folder / "specs"
        self.db = folder / "formserver.db"
        self.log = folder / "server.log"
        self.url = ""
        self.process = None

    def start(self):
        shutil.copytree(self.source, self.specs)
        script = Path(sys.executable).parent / "formserver"
        command = [
            str(script), "serve",
            "--specs", str(self.specs),
            "--db", str(self.db),
            "--host", "127.0.0.1",
            "--port", "0",
            "--workers", "1",
        ]  # fmt: skip
        env = dict(
            os.environ,
            FORMSERVER_SECRET_KEY=secrets.token_hex(32),
            # The suite answers faster and more often than any person, all
            # from one address: no rate limit, and no minimum time to fill in.
            FORMSERVER_RATE_LIMIT_ADDRESS="",
            FORMSERVER_MIN_FILL_SECONDS="0",
            # gunicorn puts its control socket in XDG_RUNTIME_DIR, else in
            # ~/.gunicorn; a private one keeps runs from taking each other's.
            XDG_RUNTIME_DIR=str(self.folder),
        )
        env.update(self.extra_env)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.folder
            )
        self.url = self._wait_for_port()

    def _wait_for_port(self):
        deadline = time.monotonic() + STARTUP_DEADLINE
        while time.monotonic() < deadline:
            match = LISTENING.search(self.log_text())
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)

        code = self.process.poll()
        self.stop()
        state = "it is still running" if code is None else f"it exited with {code}"
        pytest.fail(
            f"formserver did not start listening within {STARTUP_DEADLINE:.0f} s "
            f"({state}). Its log:\n{self.log_text()}",
            pytrace=False,
        )

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_size(self):
        return self.log.stat().st_size

    def log_text(self, start=0):
        with self.log.open("rb") as log:
            log.seek(start)
            return log.read().decode("utf-8", "replace")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("live_server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def server_log_on_failure(request):
    """Print what the server logged during a test that failed."""
    if "live_server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("live_server")
    start = server.log_size()
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        logged = server.log_text(start) or "(nothing)\n"
        print(f"\n--- formserver logged during this test ---\n{logged}", end="")
        if server.process.poll() is not None:
            print(f"--- formserver has exited with {server.process.returncode} ---")


@pytest.fixture
def base_url(live_server):
    return live_server.url


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


LOGIC_JS = ROOT / "static" / "js" / "logic.js"


@pytest.fixture
def logic_page(page):
    page.set_content("<!doctype html><title>t</title>")
    page.add_script_tag(path=str(LOGIC_JS))
    return page
