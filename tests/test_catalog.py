"""The catalog serves what is on disk now, and the last good version of it."""

import json
import os

from formserver.catalog import Catalog

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
