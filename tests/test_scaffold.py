import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

import formserver
from formserver.catalog import load_spec
from formserver.checker import check_paths
from formserver.scaffold import ScaffoldError, _schema_ref, init_form
from formserver.scenarios import run_scenarios


@pytest.fixture
def specs(tmp_path):
    return tmp_path / "specs"


def test_the_starter_passes_the_checker_without_a_single_problem(specs):
    written = init_form(specs, "acme-realty", "demo-request")

    folder = specs / "acme-realty"
    assert written == [
        folder / "client.json",
        folder / "demo-request.json",
        folder / "demo-request.tests.json",
    ]
    assert check_paths([specs]) == []


def test_the_starter_scenarios_pass_and_cover_every_segment(specs):
    _, spec_path, tests_path = init_form(specs, "acme-realty", "demo-request")
    spec = load_spec(spec_path)

    assert run_scenarios(spec, tests_path) == []
    scenarios = json.loads(tests_path.read_text())["scenarios"]
    expected = {s["expect"]["segment"] for s in scenarios}
    assert expected == {segment.id for segment in spec.segments}


def test_the_starter_has_segments_scoring_tiers_routes_and_consent(specs):
    _, spec_path, _ = init_form(specs, "acme-realty", "demo-request")

    spec = load_spec(spec_path)

    assert len(spec.steps) == 4 and len(spec.segments) == 2
    assert all(s.steps and s.scoring and s.routes for s in spec.segments)
    assert spec.tiers
    contact = spec.steps_by_id["contact"]
    assert {f.type for f in contact.fields} >= {"email", "consent"}
    assert "Acme Realty" in spec.fields_by_id["consent"].consent_text


def test_the_schema_is_found_by_file_uri_when_only_the_root_is_shared():
    package = Path(formserver.__file__).resolve()
    folder = Path(package.anchor) / f"not-{package.parts[1]}" / "acme"

    reference = _schema_ref(folder, "spec")

    assert reference.startswith("file://")
    assert Path(unquote(urlparse(reference).path)).is_file()


def test_the_schema_is_found_by_relative_path_beside_the_package():
    package = Path(formserver.__file__).resolve().parent
    folder = package.parent / "form_specs" / "acme"

    reference = _schema_ref(folder, "spec")

    assert reference == f"../../{package.name}/schemas/spec.schema.json"
    assert (folder / reference).resolve().is_file()


def test_an_existing_client_file_is_kept_and_its_name_used(specs):
    folder = specs / "acme"
    folder.mkdir(parents=True)
    (folder / "client.json").write_text('{"name": "Acme & Sons Ltd"}')

    written = init_form(specs, "acme", "quote")

    assert written == [folder / "quote.json", folder / "quote.tests.json"]
    assert (folder / "client.json").read_text() == '{"name": "Acme & Sons Ltd"}'
    consent = load_spec(folder / "quote.json").fields_by_id["consent"]
    assert "Acme & Sons Ltd may contact me" in consent.label


@pytest.mark.parametrize("existing", ["quote.json", "quote.tests.json"])
def test_existing_form_files_are_never_overwritten(specs, existing):
    folder = specs / "acme"
    folder.mkdir(parents=True)
    (folder / existing).write_text("mine")

    with pytest.raises(ScaffoldError) as error:
        init_form(specs, "acme", "quote")

    assert str(folder / existing) in str(error.value)
    assert "already exists" in str(error.value)
    assert (folder / existing).read_text() == "mine"
    assert sorted(p.name for p in folder.iterdir()) == [existing]


def test_a_second_init_of_the_same_form_is_refused(specs):
    init_form(specs, "acme", "quote")
    before = (specs / "acme" / "quote.json").read_text()

    with pytest.raises(ScaffoldError, match="quote.json already exists"):
        init_form(specs, "acme", "quote")

    assert (specs / "acme" / "quote.json").read_text() == before


@pytest.mark.parametrize(
    ("client", "form", "message"),
    [
        ("Acme", "quote", "'Acme' is not a valid client id"),
        ("acme realty", "quote", "'acme realty' is not a valid client id"),
        ("../etc", "quote", "'../etc' is not a valid client id"),
        ("", "quote", "'' is not a valid client id"),
        ("9acme", "quote", "'9acme' is not a valid client id"),
        ("a" * 65, "quote", f"'{'a' * 65}' is not a valid client id"),
        ("acme", "Quote Form", "'Quote Form' is not a valid form id"),
        ("acme", "quote.tests", "'quote.tests' is not a valid form id"),
        ("acme", "quote/x", "'quote/x' is not a valid form id"),
        ("acme", "client", "'client' cannot be a form id"),
    ],
)
def test_bad_ids_are_refused_with_a_clear_message(specs, client, form, message):
    with pytest.raises(ScaffoldError, match=re.escape(message)):
        init_form(specs, client, form)

    assert not specs.exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "not valid JSON at line 1, column 2"),
        ("", "the file is empty; it must hold JSON"),
        ('{"nam": "Acme"}', "/: error: 'name' is missing here; add it"),
    ],
)
def test_a_broken_client_file_stops_init_and_lists_its_problems(
    specs, content, problem
):
    folder = specs / "acme"
    folder.mkdir(parents=True)
    (folder / "client.json").write_text(content)

    with pytest.raises(ScaffoldError) as error:
        init_form(specs, "acme", "quote")

    assert f"the client file {folder / 'client.json'} is broken" in str(error.value)
    assert problem in str(error.value)
    assert sorted(p.name for p in folder.iterdir()) == ["client.json"]
