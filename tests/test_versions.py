import pytest

from formserver.storage import Completion, Storage
from formserver.versions import current_version, list_versions

CLIENT, FORM = "acme-realty", "property-enquiry"


@pytest.fixture
def storage(tmp_path):
    found = Storage(tmp_path / "versions.db")
    yield found
    found.close()


@pytest.fixture
def current(specs_dir):
    return current_version(specs_dir, CLIENT, FORM).version


def submit(storage, version, email, form=FORM):
    """Start and complete one response on ``version``; return both rows' times."""
    partial = storage.start_partial(CLIENT, form, version, {})
    tag = {"score": 0, "tier": "cold", "segment": None, "reasons": [], "route": None}
    completion = Completion(
        client=CLIENT,
        form=form,
        version=version,
        email=email,
        answers={"email": email},
        profile={"email": email},
        tag=tag,
        captured={},
        path=["contact"],
        sources={},
    )
    storage.complete(partial, completion)
    submitted = storage.db.execute(
        "SELECT submitted_at FROM submissions WHERE partial_id = ?", [partial.id]
    ).fetchone()[0]
    return partial.created_at, submitted


def test_a_form_never_served_lists_only_its_current_version(storage, current):
    versions = list_versions(storage.db, current, CLIENT, FORM)

    assert versions == [
        {
            "version": current,
            "first_seen": None,
            "first_use": None,
            "last_use": None,
            "submissions": 0,
            "current": True,
        }
    ]


def test_versions_list_first_and_last_use_and_submissions(storage, current):
    storage.remember_spec(CLIENT, FORM, "old0000000000", {"title": "old"})
    started, _ = submit(storage, "old0000000000", "ann@example.com")
    _, last = submit(storage, "old0000000000", "bo@example.com")
    storage.remember_spec(CLIENT, FORM, current, {"title": "new"})
    open_partial = storage.start_partial(CLIENT, FORM, current, {})

    old, new = list_versions(storage.db, current, CLIENT, FORM)

    assert old["version"] == "old0000000000" and not old["current"]
    assert old["submissions"] == 2
    assert old["first_use"] == started
    assert old["last_use"] >= last
    assert old["first_seen"] <= old["first_use"]
    assert new["version"] == current and new["current"]
    assert new["submissions"] == 0
    assert new["first_use"] == open_partial.created_at
    assert new["first_seen"] >= old["first_seen"]


def test_a_version_used_but_never_remembered_is_still_listed(storage, current):
    submit(storage, "ghost00000000", "ann@example.com")

    versions = list_versions(storage.db, current, CLIENT, FORM)

    ghost = next(v for v in versions if v["version"] == "ghost00000000")
    assert ghost["first_seen"] is None
    assert ghost["submissions"] == 1 and ghost["first_use"] is not None


def test_other_forms_do_not_count(storage, current):
    storage.remember_spec(CLIENT, "other-form", current, {})
    submit(storage, current, "ann@example.com", form="other-form")

    (only,) = list_versions(storage.db, current, CLIENT, FORM)

    assert only["submissions"] == 0 and only["first_use"] is None


def test_a_form_gone_from_disk_marks_no_version_current(storage, specs_dir):
    storage.remember_spec(CLIENT, FORM, "old0000000000", {})
    (specs_dir / CLIENT / f"{FORM}.json").unlink()
    current = current_version(specs_dir, CLIENT, FORM)

    versions = list_versions(storage.db, current.version, CLIENT, FORM)

    assert [(v["version"], v["current"]) for v in versions] == [
        ("old0000000000", False)
    ]


@pytest.mark.parametrize(
    ("content", "pointer"),
    [
        ('{"title": "T", "steps": NaN}', "/steps"),
        ('{"title": "T", "steps": [{"id": "a", "fields": []}]}', "/steps/0"),
    ],
    ids=["unreadable", "checker-error"],
)
def test_a_broken_spec_has_no_current_version_and_says_why(specs_dir, content, pointer):
    path = specs_dir / CLIENT / f"{FORM}.json"
    path.write_text(content)

    current = current_version(specs_dir, CLIENT, FORM)

    assert current.version is None and current.path == path
    assert pointer in [p.pointer for p in current.problems]
    assert all(p.severity == "error" for p in current.problems)
