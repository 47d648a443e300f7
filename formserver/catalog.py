"""The catalog: every client and form spec under a specs folder.

Specs are files in ``<specs>/<client>/<form>.json`` beside one ``client.json``.
The catalog rereads a file when it changes, so an edit is served on the next
request without a restart; an edit that breaks the spec never takes a live form
down, because the last good version keeps serving and the error is kept for the
preview, the log and ``formserver check``. Every version seen is kept by its
content version, so that a prospect finishes on the version they started.

Given an archive (the database), the catalog records every good version of a
spec or client file it loads there, and a process that meets a broken file
before it has loaded a good one (after a restart, or in another worker) serves
the newest good version the archive holds.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .archive import Archive, newest_that_loads
from .problems import Problem, SpecError, schema_problems
from .spec import Spec
from .specfile import compile_spec, content_version, parse_json

logger = logging.getLogger(__name__)

CLIENT_FILE = "client.json"
TESTS_SUFFIX = ".tests.json"


@dataclass(frozen=True)
class Client:
    """An agency customer: its name, branding and where its forms may embed."""

    id: str
    name: str
    source: str
    color: str = "#1f4e79"
    logo: str = ""
    privacy_url: str = ""
    embed_origins: tuple[str, ...] = ()
    phone_region: str = ""
    webhooks: tuple[dict[str, Any], ...] = ()
    version: str = ""
    document: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def load_client(path: Path, client_id: str | None = None) -> Client:
    """Read and check a ``client.json`` file; raise :class:`SpecError` if broken."""
    source = str(path)
    document = parse_json(_read(path), source)
    return client_from_document(document, client_id or path.parent.name, source)


def client_from_document(document: Any, client_id: str, source: str) -> Client:
    """The client a parsed client file describes; raise :class:`SpecError` if bad."""
    problems = schema_problems(document, "client", source)
    if problems:
        raise SpecError(problems)

    branding = document.get("branding", {})
    return Client(
        id=client_id,
        name=document["name"],
        source=source,
        color=branding.get("color", "#1f4e79"),
        logo=branding.get("logo", ""),
        privacy_url=branding.get("privacy_url", ""),
        embed_origins=tuple(document.get("embed_origins", [])),
        phone_region=document.get("phone_region", ""),
        webhooks=tuple(document.get("webhooks", [])),
        version=content_version(document),
        document=document,
    )


def load_spec(path: Path, client: str | None = None, form: str | None = None) -> Spec:
    """Read and compile one spec file; raise :class:`SpecError` if broken."""
    source = str(path)
    document = parse_json(_read(path), source)
    return compile_spec(
        document,
        client=client or path.parent.name,
        form=form or path.stem,
        source=source,
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise SpecError(
            [Problem(str(path), "", f"cannot read the file: {reason}")]
        ) from None


def spec_paths(folder: Path) -> list[Path]:
    """The form spec files of one client folder."""
    return sorted(
        p
        for p in folder.glob("*.json")
        if p.name != CLIENT_FILE and not p.name.endswith(TESTS_SUFFIX)
    )


#: What a file looked like when it was last read: modification time in
#: nanoseconds, size and inode, or None when it was missing. The size and inode
#: catch a rewrite within the file system's timestamp granularity, and an
#: editor that saves by renaming a new file over the old one.
Stamp = tuple[int, int, int] | None
_UNREAD = (-1, -1, -1)


@dataclass
class _Entry:
    stamp: Stamp = _UNREAD
    spec: Spec | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _ClientEntry:
    stamp: Stamp = _UNREAD
    client: Client | None = None
    problems: list[Problem] = field(default_factory=list)


class Catalog:
    """The clients and forms served from ``root``, reloaded as files change."""

    def __init__(self, root: Path | str, archive: Archive | None = None) -> None:
        self.root = Path(root)
        self.archive = archive
        self._root = str(self.root)
        self._lock = threading.Lock()
        self._specs: dict[tuple[str, str], _Entry] = {}
        self._clients: dict[str, _ClientEntry] = {}
        self._versions: dict[tuple[str, str, str], Spec] = {}

    def forms(self) -> list[tuple[str, str]]:
        """Every ``(client, form)`` pair present on disk, in order."""
        if not self.root.is_dir():
            return []
        return [
            (folder.name, path.stem)
            for folder in sorted(self.root.iterdir())
            if folder.is_dir() and (folder / CLIENT_FILE).exists()
            for path in spec_paths(folder)
        ]

    def client(self, client_id: str) -> Client | None:
        """The client's current good settings, or None when it has none."""
        if not _safe_name(client_id):
            return None
        stamp = _stamp(os.path.join(self._root, client_id, CLIENT_FILE))
        if stamp is None:
            return None

        with self._lock:
            entry = self._clients.setdefault(client_id, _ClientEntry())
            if stamp != entry.stamp:
                self._reload_client(entry, client_id, stamp)
            return entry.client

    def _reload_client(self, entry: _ClientEntry, client_id: str, stamp: Stamp) -> None:
        entry.stamp = stamp
        path = self.root / client_id / CLIENT_FILE
        try:
            client = load_client(path, client_id)
        except SpecError as error:
            entry.problems = error.problems
            if entry.client is None:
                entry.client = self._archived_client(client_id, str(path))
            _log_broken(
                f"Client file {path}",
                len(error.problems),
                entry.client.version if entry.client else None,
                "none of its forms is served",
            )
            return

        if entry.client is not None and entry.client.version != client.version:
            logger.info("Client %s now serves version %s", client_id, client.version)
        entry.client = client
        entry.problems = []
        if self.archive is not None:
            self.archive.remember_client(client_id, client.version, client.document)

    def _archived_client(self, client_id: str, source: str) -> Client | None:
        """The newest client document in the archive that still passes its schema."""
        if self.archive is None:
            return None
        archive = self.archive
        return newest_that_loads(
            archive.client_history(client_id),
            lambda version: archive.client_document(client_id, version),
            lambda document: client_from_document(document, client_id, source),
            f"client {client_id}",
        )

    def spec(self, client_id: str, form_id: str) -> Spec | None:
        """The current good version of a form, or None when it has none."""
        if not (_safe_name(client_id) and _safe_name(form_id)):
            return None
        if form_id == Path(CLIENT_FILE).stem:
            return None
        stamp = _stamp(os.path.join(self._root, client_id, f"{form_id}.json"))
        with self._lock:
            entry = self._specs.setdefault((client_id, form_id), _Entry())
            if stamp != entry.stamp:
                path = self.root / client_id / f"{form_id}.json"
                self._reload(entry, path, client_id, form_id, stamp)
            return entry.spec if stamp is not None else None

    def _reload(
        self, entry: _Entry, path: Path, client_id: str, form_id: str, stamp: Stamp
    ) -> None:
        entry.stamp = stamp
        if stamp is None:
            return
        try:
            spec = load_spec(path, client_id, form_id)
            _refuse_errors(spec)
        except SpecError as error:
            entry.problems = error.problems
            if entry.spec is None:
                entry.spec = self._archived(client_id, form_id)
            _log_broken(
                f"Spec {client_id}/{form_id}",
                len(error.problems),
                entry.spec.version if entry.spec else None,
                "the form is not served",
            )
            return
        if entry.spec is not None and entry.spec.version != spec.version:
            logger.info(
                "Spec %s/%s now serves version %s", client_id, form_id, spec.version
            )
        entry.spec = spec
        entry.problems = []
        self.remember(spec)
        if self.archive is not None:
            self.archive.remember_spec(client_id, form_id, spec.version, spec.document)

    def _archived(self, client_id: str, form_id: str) -> Spec | None:
        """The newest version in the archive that still compiles and passes."""
        if self.archive is None:
            return None
        archive = self.archive

        def load(document: Any) -> Spec:
            spec = compile_spec(
                document, client=client_id, form=form_id, source=form_id
            )
            _refuse_errors(spec)
            return spec

        spec = newest_that_loads(
            archive.spec_history(client_id, form_id),
            lambda version: archive.spec_document(client_id, form_id, version),
            load,
            f"{client_id}/{form_id}",
        )
        if spec is not None:
            self.remember(spec)
        return spec

    def problems(self, client_id: str, form_id: str) -> list[Problem]:
        """What is wrong with the client file and the spec on disk, if anything."""
        self.client(client_id)
        self.spec(client_id, form_id)
        client = self._clients.get(client_id)
        entry = self._specs.get((client_id, form_id))
        return [
            *(client.problems if client else ()),
            *(entry.problems if entry else ()),
        ]

    def remember(self, spec: Spec) -> None:
        """Keep ``spec`` so that prospects who started on it can finish on it."""
        self._versions[(spec.client, spec.form, spec.version)] = spec

    def version(self, client_id: str, form_id: str, version: str) -> Spec | None:
        """A version seen earlier by this process, or None."""
        known = self._versions.get((client_id, form_id, version))
        if known is not None:
            return known
        current = self.spec(client_id, form_id)
        if current is not None and current.version == version:
            return current
        return None


def _log_broken(what: str, count: int, serving: str | None, unserved: str) -> None:
    """Log a broken file: the good version that keeps serving, or what goes dark."""
    if serving is None:
        logger.error(
            "%s is broken (%d problems) and no good version is known, so %s",
            what,
            count,
            unserved,
        )
        return
    logger.error(
        "%s is broken (%d problems); the last good version %s keeps serving",
        what,
        count,
        serving,
    )


def _refuse_errors(spec: Spec) -> None:
    """Raise when the checker finds errors: such a spec must not go live."""
    from .checker import check_spec

    errors = [p for p in check_spec(spec) if p.severity == "error"]
    if errors:
        raise SpecError(errors)


def _stamp(path: str) -> Stamp:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _safe_name(name: str) -> bool:
    """Client and form ids as the schema allows them; nothing that walks paths."""
    return (
        bool(name)
        and len(name) <= 64
        and name[0].isalpha()
        and all(c.islower() or c.isdigit() or c in "-_" for c in name)
    )
