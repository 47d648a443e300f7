"""The files and folders ``formserver check`` is given, and their scenarios.

Client files are loaded, spec files are loaded and checked, and a spec without
errors plays the scenarios of the ``<form>.tests.json`` beside it. A tests file
given on its own is checked by checking its spec.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from ..catalog import CLIENT_FILE, TESTS_SUFFIX, load_client, load_spec, spec_paths
from ..problems import Problem, SpecError
from ..scenarios import run_scenarios, tests_path
from ..spec import Spec
from .spec_checks import check_spec

logger = logging.getLogger(__name__)


def check_paths(paths: Iterable[Path | str]) -> list[Problem]:
    """Load and check every spec and client file at or under ``paths``.

    Never raises: whatever a file holds is reported as problems, sorted by
    file and then by pointer.
    """
    problems: set[Problem] = set()
    seen: set[str] = set()
    for path in paths:
        problems.update(_check_path(Path(path), seen))
    return sorted(problems)


def _check_path(path: Path, seen: set[str]) -> list[Problem]:
    try:
        if path.is_dir():
            return _check_folder(path, seen)
        if not path.exists():
            return [Problem(str(path), "", "no such file or folder")]
    except OSError as error:
        return [Problem(str(path), "", f"cannot read it: {_reason(error)}")]

    if path.name == CLIENT_FILE:
        return _check_file(path, seen, client=True)
    if path.name.endswith(TESTS_SUFFIX):
        return _check_tests_file(path, seen)
    return _check_file(path, seen, client=False) + _client_file_missing(path.parent)


def _check_folder(folder: Path, seen: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    found = False

    def unreadable(error: OSError) -> None:
        where = error.filename or str(folder)
        message = f"cannot read the folder: {_reason(error)}"
        problems.append(Problem(str(where), "", message))

    for current, folders, files in os.walk(folder, onerror=unreadable):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        here = Path(current)
        specs = spec_paths(here)
        if CLIENT_FILE in files:
            problems += _check_file(here / CLIENT_FILE, seen, client=True)
        elif specs:
            problems += _client_file_missing(here)
        found = found or CLIENT_FILE in files or bool(specs)
        for path in specs:
            problems += _check_file(path, seen, client=False)
        problems += _stray_tests_files(here, files)
    if not found and not problems:
        message = "no client folder (one holding client.json) was found here"
        problems.append(Problem(str(folder), "", message, "warning"))
    return problems


def _client_file_missing(folder: Path) -> list[Problem]:
    if (folder / CLIENT_FILE).is_file():
        return []
    message = (
        "this folder holds form specs but no client.json; add one with at least "
        'the client\'s "name"'
    )
    return [Problem(str(folder), "", message)]


def _check_tests_file(path: Path, seen: set[str]) -> list[Problem]:
    spec_path = _spec_of(path)
    if not spec_path.is_file():
        return [_no_spec(path, spec_path, "error")]
    return _check_path(spec_path, seen)


def _stray_tests_files(folder: Path, names: list[str]) -> list[Problem]:
    """Tests files in ``folder`` whose scenarios never run, for want of a spec."""
    strays = [folder / n for n in sorted(names) if n.endswith(TESTS_SUFFIX)]
    return [
        _no_spec(path, _spec_of(path), "warning")
        for path in strays
        if not _spec_of(path).is_file()
    ]


def _spec_of(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(TESTS_SUFFIX) + ".json")


def _no_spec(path: Path, spec_path: Path, severity: str) -> Problem:
    message = (
        f"there is no spec '{spec_path.name}' beside this tests file, so its "
        f"scenarios cannot run; name it after its spec, as <form>{TESTS_SUFFIX}"
    )
    return Problem(str(path), "", message, severity)


def _check_file(path: Path, seen: set[str], *, client: bool) -> list[Problem]:
    key = os.path.realpath(path)
    if key in seen:
        return []
    seen.add(key)
    return _guarded(path, lambda: _load_and_check(path, client=client))


def _load_and_check(path: Path, *, client: bool) -> list[Problem]:
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        return [Problem(str(path), "", f"this is {kind}, not a JSON file")]
    if client:
        load_client(path)
        return []

    spec = load_spec(path)
    problems = check_spec(spec)
    return problems + _play_scenarios(spec, path, problems)


def _play_scenarios(spec: Spec, path: Path, found: list[Problem]) -> list[Problem]:
    """The failing scenarios of the spec at ``path``, when it has no errors."""
    tests = tests_path(path)
    if not tests.exists():
        return []
    if any(p.severity == "error" for p in found):
        message = (
            f"the scenarios were not run, because the spec {path.name} has "
            "errors; fix those first"
        )
        return [Problem(str(tests), "", message, "warning")]
    return _guarded(tests, lambda: run_scenarios(spec, tests))


def _guarded(path: Path, check: Callable[[], list[Problem]]) -> list[Problem]:
    """What ``check`` finds in ``path``; whatever happens, never a traceback."""
    source = str(path)
    try:
        return check()
    except SpecError as error:
        return error.problems
    except OSError as error:
        return [Problem(source, "", f"cannot read it: {_reason(error)}")]
    except RecursionError:
        return [Problem(source, "", "the JSON is nested too deeply to check")]
    except Exception as error:
        # Whatever a file holds must come back as a problem, not a traceback.
        logger.exception("Checking %s failed", source)
        message = f"the checker failed on this file ({error!r}); please report it"
        return [Problem(source, "", message)]


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
