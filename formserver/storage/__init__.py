"""Storage: leads, submissions, partial responses, spec and client versions.

Everything that touches the database goes through :class:`Storage`, so that a
deployment that outgrows one host can move to PostgreSQL by replacing this
package. The database runs in WAL mode with a busy timeout; every write
transaction begins with ``BEGIN IMMEDIATE`` so that it takes the write lock
first and never fails half-way on a lock upgrade. What the prospect is told
is stored (a submission, an outcome) is committed with ``synchronous=FULL``,
durable even through a power cut; answers in progress with ``NORMAL``, which
survives a crash of the process.
"""

from __future__ import annotations

from .access import Access
from .apitokens import ApiTokens
from .clientversions import ClientVersions
from .completion import Completion, Completions
from .database import Database, new_id, now
from .leads import Leads
from .outbox import Outbox
from .responses import Partial, Responses
from .rights import Rights

__all__ = ["Completion", "Partial", "Storage", "new_id", "now"]


class Storage(
    Responses,
    ClientVersions,
    Completions,
    Leads,
    Outbox,
    Rights,
    Access,
    ApiTokens,
    Database,
):
    """The formserver database at ``path`` (created and migrated on open)."""
