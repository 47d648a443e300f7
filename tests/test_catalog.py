"""The catalog serves what is on disk now, and the last good version of it."""

import json
import os

import pytest

from formserver.catalog import Catalog
from formserver.storage import Storage

CLIENT, FORM = "acme-realty", "property-enquiry"


def retitle(path, title):
    document = json.loads(path.read_text())
    document["title"] = title
    path.write_text(json.dumps(document))


def test_an_edited_spec_is_served_on_the_next_lookup(specs_dir):
    catalog = Catalog(specs_dir)
    before = catalog.spec(CLIENT, FORM)

    retitle(specs_dir / CLIENT / f"{FORM}.json", "A new title")
    after = catalog.spec(CLIENT, FORM)

    assert after.title == "A new title"
    assert after.version != before.version


def test_a_rewrite_within_one_timestamp_tick_is_still_noticed(specs_dir):
    path = specs_dir / CLIENT / f"{FORM}.json"
    catalog = Catalog(specs_dir)
    catalog.spec(CLIENT, FORM)
    stamp = os.stat(path).st_mtime_ns

    retitle(path, "Another, longer title than the first")
    os.utime(path, ns=(stamp, stamp))

    assert catalog.spec(CLIENT, FORM).title == "Another, longer title than the first"


def test_a_spec_removed_from_disk_is_no_longer_served(specs_dir):
    catalog = Catalog(specs_dir)
    assert catalog.spec(CLIENT, FORM) is not None

    (specs_dir / CLIENT / f"{FORM}.json").unlink()

    assert catalog.spec(CLIENT, FORM) is None


def test_a_broken_client_file_keeps_the_last_good_settings(specs_dir):
    catalog = Catalog(specs_dir)
    name = catalog.client(CLIENT).name

    (specs_dir / CLIENT / "client.json").write_text("{broken")

    assert catalog.client(CLIENT).name == name


# A broken file met by a process that never loaded a good version of it.


@pytest.fixture
def archive(tmp_path):
    storage = Storage(tmp_path / "archive.db")
    yield storage
    storage.close()


def break_steps(path):
    """An edit the checker refuses: a branch to a step nobody defines."""
    document = json.loads(path.read_text())
    document["steps"][1]["next"] = "nowhere"
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda path: path.write_text('{"title": 5'), id="bad-json"),
        pytest.param(break_steps, id="checker-errors"),
    ],
)
def test_a_new_process_serves_the_newest_archived_version_of_a_broken_spec(
    specs_dir, archive, breakage, caplog
):
    path = specs_dir / CLIENT / f"{FORM}.json"
    first = Catalog(specs_dir, archive=archive)
    first.spec(CLIENT, FORM)
    retitle(path, "The newest good title")
    newest = first.spec(CLIENT, FORM)

    breakage(path)
    restarted = Catalog(specs_dir, archive=archive)
    served = restarted.spec(CLIENT, FORM)

    assert served is not None
    assert served.version == newest.version
    assert served.title == "The newest good title"
    assert restarted.problems(CLIENT, FORM)
    assert restarted.version(CLIENT, FORM, newest.version) is served
    assert f"the last good version {newest.version} keeps serving" in caplog.text


def test_a_version_started_on_after_a_newer_one_ranks_first(specs_dir, archive):
    path = specs_dir / CLIENT / f"{FORM}.json"
    catalog = Catalog(specs_dir, archive=archive)
    original = catalog.spec(CLIENT, FORM)
    retitle(path, "A newer title")
    catalog.spec(CLIENT, FORM)

    archive.start_partial(CLIENT, FORM, original.version, {})
    path.write_text("{broken")

    served = Catalog(specs_dir, archive=archive).spec(CLIENT, FORM)
    assert served.version == original.version


def test_an_archived_version_that_no_longer_passes_is_skipped(specs_dir, archive):
    path = specs_dir / CLIENT / f"{FORM}.json"
    good = Catalog(specs_dir, archive=archive).spec(CLIENT, FORM)
    archive.remember_spec(CLIENT, FORM, "stale00000000", {"title": 5})

    path.write_text("{broken")

    served = Catalog(specs_dir, archive=archive).spec(CLIENT, FORM)
    assert served.version == good.version


def test_without_an_archived_version_a_broken_spec_is_not_served(
    specs_dir, archive, caplog
):
    (specs_dir / CLIENT / f"{FORM}.json").write_text("{broken")

    catalog = Catalog(specs_dir, archive=archive)

    assert catalog.spec(CLIENT, FORM) is None
    assert catalog.problems(CLIENT, FORM)
    assert "no good version is known, so the form is not served" in caplog.text


def test_another_forms_archived_version_never_stands_in(specs_dir, archive):
    document = json.loads((specs_dir / CLIENT / f"{FORM}.json").read_text())
    archive.remember_spec(CLIENT, "other-form", "other0000000", document)
    archive.remember_spec("other-client", FORM, "other0000001", document)

    (specs_dir / CLIENT / f"{FORM}.json").write_text("{broken")

    assert Catalog(specs_dir, archive=archive).spec(CLIENT, FORM) is None


# A broken client file met by a process that never loaded a good version of it.


def rebrand(path, name, color):
    document = json.loads(path.read_text())
    document["name"] = name
    document["branding"]["color"] = color
    path.write_text(json.dumps(document))


def client_path(specs_dir):
    return specs_dir / CLIENT / "client.json"


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(lambda path: path.write_text('{"name": '), id="bad-json"),
        pytest.param(
            lambda path: rebrand(path, "Acme", "dark blue"), id="schema-errors"
        ),
    ],
)
def test_a_new_process_serves_the_newest_archived_version_of_a_broken_client_file(
    specs_dir, archive, breakage, caplog
):
    path = client_path(specs_dir)
    first = Catalog(specs_dir, archive=archive)
    first.client(CLIENT)
    rebrand(path, "Acme Realty Group", "#aa3300")
    newest = first.client(CLIENT)

    breakage(path)
    restarted = Catalog(specs_dir, archive=archive)
    served = restarted.client(CLIENT)

    assert served is not None
    assert (served.name, served.color) == ("Acme Realty Group", "#aa3300")
    assert served.version == newest.version
    assert restarted.spec(CLIENT, FORM) is not None
    assert f"the last good version {newest.version} keeps serving" in caplog.text


def test_a_client_file_put_back_to_an_earlier_version_ranks_it_first(
    specs_dir, archive
):
    path = client_path(specs_dir)
    original_text = path.read_text()
    catalog = Catalog(specs_dir, archive=archive)
    original = catalog.client(CLIENT)
    rebrand(path, "A short-lived name", "#aa3300")
    catalog.client(CLIENT)
    path.write_text(original_text)
    catalog.client(CLIENT)

    path.write_text("{broken")

    served = Catalog(specs_dir, archive=archive).client(CLIENT)
    assert served.version == original.version
    assert served.name == original.name


def test_an_archived_client_version_that_no_longer_passes_is_skipped(
    specs_dir, archive, caplog
):
    good = Catalog(specs_dir, archive=archive).client(CLIENT)
    archive.remember_client(CLIENT, "stale0000000", {"name": 5})

    client_path(specs_dir).write_text("{broken")

    served = Catalog(specs_dir, archive=archive).client(CLIENT)
    assert served.version == good.version
    assert "Archived version stale0000000 of client acme-realty" in caplog.text


@pytest.mark.parametrize("archived", [True, False], ids=["empty-archive", "none"])
def test_without_an_archived_version_a_broken_client_file_is_not_served(
    specs_dir, archive, archived, caplog
):
    client_path(specs_dir).write_text("{broken")

    catalog = Catalog(specs_dir, archive=archive if archived else None)

    assert catalog.client(CLIENT) is None
    assert "no good version is known, so none of its forms is served" in caplog.text


def test_another_clients_archived_version_never_stands_in(specs_dir, archive):
    document = json.loads(client_path(specs_dir).read_text())
    archive.remember_client("other-client", "other0000000", document)

    client_path(specs_dir).write_text("{broken")

    assert Catalog(specs_dir, archive=archive).client(CLIENT) is None
