"""Good versions of spec and client files that outlive the process.

The catalog keeps every good version of a file in an archive (the database, in
the app). A process that meets a broken file before it has loaded a good one,
after a restart or in another worker, serves the newest archived version that
still loads, rather than taking the client's forms down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from .problems import SpecError

logger = logging.getLogger(__name__)

Loaded = TypeVar("Loaded")


class SpecArchive(Protocol):
    """Where spec versions outlive the process."""

    def remember_spec(
        self, client: str, form: str, version: str, document: Any
    ) -> None:
        """Keep a version's document."""

    def spec_history(self, client: str, form: str) -> list[str]:
        """The kept versions of a form, the newest in use first."""

    def spec_document(self, client: str, form: str, version: str) -> Any | None:
        """The document of a kept version, or None."""


class ClientArchive(Protocol):
    """Where client file versions outlive the process."""

    def remember_client(self, client: str, version: str, document: Any) -> None:
        """Keep a good version's document, marked as seen now."""

    def client_history(self, client: str) -> list[str]:
        """The kept versions of a client file, the one last seen good first."""

    def client_document(self, client: str, version: str) -> Any | None:
        """The document of a kept version, or None."""


class Archive(SpecArchive, ClientArchive, Protocol):
    """Everything the catalog keeps beyond the life of the process."""


def newest_that_loads(
    versions: Iterable[str],
    document_of: Callable[[str], Any],
    load: Callable[[Any], Loaded],
    name: str,
) -> Loaded | None:
    """The first of ``versions`` whose document ``load`` accepts, or None.

    A version that no longer passes (the checks grew stricter since it was
    kept) is skipped with a warning naming it.
    """
    for version in versions:
        try:
            return load(document_of(version))
        except SpecError:
            logger.warning(
                "Archived version %s of %s no longer passes its checks", version, name
            )
    return None
