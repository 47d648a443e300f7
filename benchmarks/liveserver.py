"""``formserver serve`` as a subprocess that can be started, killed and restarted.

Used by benchmarks/load.py, benchmarks/crash.py and tests/test_crash_recovery.py.
The server runs in production mode (gunicorn, threaded workers) in its own
session, so that its whole process group (the master and every worker) can be
killed at once with SIGKILL, as a crash of the host's process would. A restart
uses the same secret key, so the tokens in prospects' pages stay valid, the
same database, and the same port when it can get it.

Only the standard library is imported here, so that the test suite can load
this file without the benchmarks folder on sys.path.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SPECS = ROOT / "form_specs"
HOST = "127.0.0.1"
START_DEADLINE = 60.0
STOP_DEADLINE = 10.0
#: Protections that would turn a load test from one address into a test of the
#: protection (the same as benchmarks/throughput.py): limits that never trip, and no
#: minimum fill time, so that fast completions are real leads, not spam.
LOAD_SETTINGS = {
    "FORMSERVER_RATE_LIMIT_ADDRESS": "1000000/minute",
    "FORMSERVER_RATE_LIMIT_FORM": "1000000/minute",
    "FORMSERVER_MIN_FILL_SECONDS": "0",
}
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class ServerError(Exception):
    """The server did not start, or exited when it should be running."""


class LiveServer:
    """A ``formserver serve`` process on a copy of the example specs.

    ``port`` is where it listens now; prospects read it before every new
    connection, so a restart on another port is followed.
    """

    def __init__(self, folder: Path, workers: int = 2, ready_path: str = "/") -> None:
        self.folder = folder
        self.workers = workers
        self.ready_path = ready_path
        self.specs = folder / "specs"
        self.db = folder / "formserver.db"
        self.secret_key = secrets.token_hex(32)
        self.port = 0
        self.starts = 0
        self.log: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, port: int = 0) -> None:
        """Start the server (on ``port``, 0 for any) and wait until it answers."""
        if not self.specs.exists():
            shutil.copytree(EXAMPLE_SPECS, self.specs)
        self.starts += 1
        self.log = self.folder / f"server-{self.starts}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                self._command(port),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                env=self._environment(),
                start_new_session=True,  # its own process group, killed whole
            )
        deadline = time.monotonic() + START_DEADLINE
        self.port = self._wait_for_port(deadline)
        self._wait_until_ready(deadline)

    def restart(self) -> None:
        """Start again on the same port, or on any port if that one is taken."""
        try:
            self.start(self.port)
        except ServerError:
            self.kill()
            self.start(0)

    def kill(self) -> None:
        """SIGKILL the master and its workers: nothing gets to clean up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._wait_for_group_to_exit()

    def stop(self) -> None:
        """Stop gracefully (gunicorn's quick shutdown), then kill what is left."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_DEADLINE)
        self.kill()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of every log this server wrote, newest last."""
        logs = sorted(self.folder.glob("server-*.log"), key=_start_number)
        text = "\n".join(
            f"--- {log.name} ---\n{log.read_text(errors='replace')}" for log in logs
        )
        return "\n".join(text.splitlines()[-lines:])

    def _command(self, port: int) -> list[str]:
        script = Path(sys.executable).with_name("formserver")
        launcher = (
            [str(script)]
            if script.exists()
            else [sys.executable, "-c", "from formserver.cli import main; main()"]
        )
        return [
            *launcher,
            "serve",
            "--specs", str(self.specs),
            "--db", str(self.db),
            "--host", HOST,
            "--port", str(port),
            "--workers", str(self.workers),
        ]  # fmt: skip

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORMSERVER_")}
        env.update(LOAD_SETTINGS)
        env["FORMSERVER_SECRET_KEY"] = self.secret_key
        # gunicorn puts its control socket in XDG_RUNTIME_DIR (else in
        # ~/.gunicorn); a private one keeps this server off any other's.
        run_dir = self.folder / "run"
        run_dir.mkdir(exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(run_dir)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _wait_for_port(self, deadline: float) -> int:
        assert self.process is not None and self.log is not None
        while time.monotonic() < deadline:
            found = _LISTENING.search(self.log.read_text(errors="replace"))
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                raise ServerError(
                    f"formserver exited with status {self.process.returncode} "
                    f"before listening:\n{self.log_tail()}"
                )
            time.sleep(0.05)
        raise ServerError(
            f"formserver did not log 'Listening at:' within {START_DEADLINE:.0f} s:"
            f"\n{self.log_tail()}"
        )

    def _wait_until_ready(self, deadline: float) -> None:
        """GET ``ready_path`` until a worker answers with a page."""
        last = "no answer"
        while time.monotonic() < deadline:
            if not self.running:
                raise ServerError(
                    f"formserver exited while starting:\n{self.log_tail()}"
                )
            conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
            try:
                conn.request("GET", self.ready_path)
                status = conn.getresponse().status
            except (OSError, http.client.HTTPException) as error:
                last = f"{type(error).__name__}: {error}"
            else:
                if status < 500:
                    return
                last = f"status {status}"
            finally:
                conn.close()
            time.sleep(0.1)
        raise ServerError(
            f"formserver did not answer GET {self.ready_path} within "
            f"{START_DEADLINE:.0f} s ({last}):\n{self.log_tail()}"
        )

    def _wait_for_group_to_exit(self) -> None:
        # Workers orphaned by the master's death are reaped by init; until
        # then they are zombies, which hold no socket, so a short wait is enough.
        assert self.process is not None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.05)


def _start_number(log: Path) -> int:
    return int(log.stem.rsplit("-", 1)[-1])
