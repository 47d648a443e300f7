"""The SQLite layer: journal mode, waiting for locks, transactions, migrations."""

import json
import sqlite3
import threading
import time
from contextlib import closing

import pytest
import sqlite_utils

from formserver.storage import Storage
from formserver.storage.database import BUSY_TIMEOUT_MS, Database
from formserver.storage.schema import MIGRATIONS

WRITERS = 2
INCREMENTS = 40


@pytest.fixture
def path(tmp_path):
    return tmp_path / "formserver.db"


def raw(path):
    """A plain connection that makes no use of the formserver layer."""
    return closing(sqlite3.connect(path, isolation_level=None))


def test_the_database_runs_in_wal_mode_with_a_busy_timeout(path):
    database = Database(path)

    journal = database.db.execute("PRAGMA journal_mode").fetchone()[0]
    timeout = database.db.execute("PRAGMA busy_timeout").fetchone()[0]

    assert journal == "wal"
    assert timeout == BUSY_TIMEOUT_MS >= 5000
    with raw(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_write_waits_for_another_process_to_release_the_lock(path):
    database = Database(path)
    database.db.execute("CREATE TABLE notes (text TEXT)")
    held = threading.Event()

    def hold_the_write_lock():
        with raw(path) as other:
            other.execute("BEGIN IMMEDIATE")
            held.set()
            time.sleep(0.5)
            other.execute("COMMIT")

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    held.wait(5)
    started = time.monotonic()
    with database.transaction() as db:
        db.execute("INSERT INTO notes VALUES ('after the wait')")
    waited = time.monotonic() - started
    holder.join()

    assert waited >= 0.3
    assert database.db.execute("SELECT text FROM notes").fetchall() == [
        ("after the wait",)
    ]


def test_write_transactions_begin_immediate(path):
    database = Database(path)
    statements = []
    database.db.conn.set_trace_callback(statements.append)

    with database.transaction():
        pass

    assert statements == ["BEGIN IMMEDIATE", "COMMIT"]


def test_concurrent_read_then_write_transactions_all_succeed_and_lose_nothing(path):
    # Two Database objects stand for two processes: each has its own lock,
    # so only SQLite stands between them. A deferred transaction that reads
    # first would fail its upgrade to a writer with "database is locked".
    Database(path).db.execute("CREATE TABLE counter (value INTEGER)")
    Database(path).db.execute("INSERT INTO counter VALUES (0)")
    errors = []

    def increment():
        database = Database(path)
        try:
            for _ in range(INCREMENTS):
                with database.transaction() as db:
                    value = db.execute("SELECT value FROM counter").fetchone()[0]
                    time.sleep(0.001)
                    db.execute("UPDATE counter SET value = ?", [value + 1])
        except sqlite3.Error as error:
            errors.append(error)
        finally:
            database.close()

    writers = [threading.Thread(target=increment) for _ in range(WRITERS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(30)

    assert errors == []
    with raw(path) as check:
        assert check.execute("SELECT value FROM counter").fetchone()[0] == (
            WRITERS * INCREMENTS
        )


def test_an_exception_rolls_back_and_releases_the_write_lock(path):
    database = Database(path)
    database.db.execute("CREATE TABLE notes (text TEXT)")

    with pytest.raises(RuntimeError), database.transaction() as db:
        db.execute("INSERT INTO notes VALUES ('lost')")
        raise RuntimeError("the step failed")

    def write_from_another_thread():
        with database.transaction() as db:
            db.execute("INSERT INTO notes VALUES ('kept')")

    # A daemon, so that a lock never released fails the test, not the run.
    other = threading.Thread(target=write_from_another_thread, daemon=True)
    other.start()
    other.join(5)
    assert not other.is_alive(), "the write lock was never released"
    assert database.db.execute("SELECT text FROM notes").fetchall() == [("kept",)]


def test_a_durable_transaction_that_fails_restores_normal_sync(path):
    database = Database(path)

    with pytest.raises(RuntimeError), database.transaction(durable=True):
        raise RuntimeError("the step failed")

    # 1 is NORMAL; FULL (2) would make every later write wait for the disk.
    assert database.db.execute("PRAGMA synchronous").fetchone()[0] == 1


def database_at_version(path, version):
    """A database migrated only to ``version``, holding a lead and a submission."""
    db = sqlite_utils.Database(path)
    for number, migration in enumerate(MIGRATIONS[:version], start=1):
        migration(db)
        db.execute(f"PRAGMA user_version = {number}")
    tag = {"score": 40, "tier": "warm", "segment": "investor", "route": None}
    db["leads"].insert(
        {
            "id": "lead_old",
            "client": "acme-realty",
            "email": "ann@example.com",
            "profile": json.dumps({"role": "investor"}),
            "tag": json.dumps(tag),
            "tier": "warm",
            "created_at": "2024-01-01T00:00:00+00:00",
            "updated_at": "2024-01-01T00:00:00+00:00",
        }
    )
    db["partials"].insert(
        {
            "id": "prt_old",
            "client": "acme-realty",
            "form": "property-enquiry",
            "version": "v1",
            "answers": json.dumps({"role": {"role": "investor"}}),
            "drafts": "{}",
            "captured": "{}",
            "step": "investment",
            "status": "open",
            "created_at": "2024-01-01T00:00:00+00:00",
            "updated_at": "2024-01-01T00:00:00+00:00",
        }
    )
    db["spec_versions"].insert(
        {
            "client": "acme-realty",
            "form": "property-enquiry",
            "version": "v1",
            "document": json.dumps({"title": "Old"}),
            "first_seen": "2024-01-01T00:00:00+00:00",
        }
    )
    db["submissions"].insert(
        {
            "id": "sub_old",
            "client": "acme-realty",
            "form": "property-enquiry",
            "lead_id": "lead_old",
            "answers": json.dumps({"email": "ann@example.com"}),
            "tag": json.dumps(tag),
            "submitted_at": "2024-01-01T00:00:00+00:00",
        }
    )
    db.conn.close()


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
def test_an_older_database_migrates_to_the_current_schema_keeping_its_rows(
    path, version
):
    database_at_version(path, version)

    storage = Storage(path)

    assert storage.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert storage.lead("lead_old")["email"] == "ann@example.com"
    partial = storage.partial("prt_old")
    assert partial.answers == {"role": {"role": "investor"}}
    assert (partial.flags, partial.is_test) == ([], False)
    submission = storage.submission("sub_old")
    assert submission["answers"] == {"email": "ann@example.com"}
    assert (submission["spam"], submission["is_test"]) == (0, 0)
    assert [s["id"] for s in storage.lead_submissions("lead_old")] == ["sub_old"]
    assert storage.spec_document("acme-realty", "property-enquiry", "v1") == {
        "title": "Old"
    }
    storage.remember_client("acme-realty", "c1", {"name": "Acme"})
    assert storage.client_history("acme-realty") == ["c1"]


def test_opening_a_current_database_again_changes_nothing(path):
    Storage(path).db.execute("INSERT INTO spec_versions VALUES ('c','f','v','{}','')")

    reopened = Storage(path)

    assert reopened.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert reopened.db.execute("SELECT count(*) FROM spec_versions").fetchone() == (1,)


def test_a_client_version_seen_again_is_kept_once_and_ranks_first(path):
    storage = Storage(path)
    storage.remember_client("acme", "c1", {"name": "Acme"})
    storage.remember_client("acme", "c2", {"name": "Acme Group"})

    storage.remember_client("acme", "c1", {"name": "Acme"})

    assert storage.client_history("acme") == ["c1", "c2"]
    assert storage.client_document("acme", "c2") == {"name": "Acme Group"}
    assert storage.client_document("acme", "c3") is None
    assert storage.client_history("other") == []
