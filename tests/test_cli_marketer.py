import sqlite3
import xml.etree.ElementTree as ET

import pytest

from formserver.cli import main
from formserver.storage import Storage


def invoke(runner, *args):
    result = runner.invoke(main, [str(arg) for arg in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


# formserver graph


def test_graph_prints_a_mermaid_flowchart(runner, specs_dir):
    result = invoke(
        runner, "graph", "acme-realty/property-enquiry", "--specs", specs_dir
    )

    assert result.exit_code == 0, result.output
    assert result.output.startswith("flowchart TD\n")
    assert 's0 -->|"the segment is Investor"| s1' in result.output


def test_graph_prints_an_svg_drawing(runner, specs_dir):
    result = invoke(
        runner,
        "graph",
        "northwind-software/demo-request",
        "--specs",
        specs_dir,
        "--format",
        "svg",
    )

    assert result.exit_code == 0, result.output
    assert ET.fromstring(result.output).tag == "{http://www.w3.org/2000/svg}svg"


def test_graph_names_a_missing_form_and_lists_the_forms_there(runner, specs_dir):
    result = invoke(runner, "graph", "acme-realty/nope", "--specs", specs_dir)

    assert result.exit_code == 1
    assert "There is no form acme-realty/nope" in result.output
    assert "acme-realty/property-enquiry" in result.output


def test_graph_lists_the_problems_of_a_broken_spec(runner, specs_dir):
    path = specs_dir / "acme-realty" / "property-enquiry.json"
    path.write_text('{"title": "T", "steps": [{"id": "Bad Id"}]}')

    result = invoke(
        runner, "graph", "acme-realty/property-enquiry", "--specs", specs_dir
    )

    assert result.exit_code == 1
    assert f"The spec {path} is broken" in result.output
    assert f"{path}:/steps/0/id: error:" in result.output


@pytest.mark.parametrize(
    "key", ["acme-realty", "acme-realty/", "/form", "../x/y", "Acme/Form", "a/b/c"]
)
def test_graph_refuses_what_is_not_client_slash_form(runner, specs_dir, key):
    result = invoke(runner, "graph", key, "--specs", specs_dir)

    assert result.exit_code == 2
    assert f"'{key}' is not CLIENT/FORM" in result.output


def test_graph_refuses_an_unknown_format(runner, specs_dir):
    result = invoke(runner, "graph", "acme-realty/property-enquiry", "--format", "png")

    assert result.exit_code == 2
    assert "'png' is not one of 'mermaid', 'svg'" in result.output


# formserver init


def test_init_writes_the_starter_and_says_what_to_run_next(runner, tmp_path):
    specs = tmp_path / "specs"

    result = invoke(runner, "init", "acme", "quote", "--specs", specs)

    assert result.exit_code == 0, result.output
    for name in ("client.json", "quote.json", "quote.tests.json"):
        assert f"wrote {specs / 'acme' / name}" in result.output
    assert f"formserver check {specs / 'acme' / 'quote.json'}" in result.output
    assert f"formserver serve --specs {specs}" in result.output
    checked = invoke(runner, "check", specs / "acme" / "quote.json")
    assert checked.exit_code == 0, checked.output
    assert "0 errors, 0 warnings" in checked.output


def test_init_refuses_to_overwrite_a_form(runner, tmp_path):
    specs = tmp_path / "specs"
    invoke(runner, "init", "acme", "quote", "--specs", specs)

    result = invoke(runner, "init", "acme", "quote", "--specs", specs)

    assert result.exit_code == 1
    assert f"{specs / 'acme' / 'quote.json'} already exists" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Acme", "quote"], "'Acme' is not a valid client id"),
        (["acme", "my form"], "'my form' is not a valid form id"),
        (["acme", "client"], "'client' cannot be a form id"),
    ],
)
def test_init_refuses_bad_ids(runner, tmp_path, args, message):
    result = invoke(runner, "init", *args, "--specs", tmp_path / "specs")

    assert result.exit_code == 1
    assert message in result.output


def test_init_needs_a_client_and_a_form(runner, tmp_path):
    result = invoke(runner, "init", "acme", "--specs", tmp_path)

    assert result.exit_code == 2
    assert "Missing argument 'FORM'" in result.output


def test_init_reports_a_folder_it_cannot_write(runner, tmp_path):
    blocker = tmp_path / "specs"
    blocker.write_text("a file, not a folder")

    result = invoke(runner, "init", "acme", "quote", "--specs", blocker / "inner")

    assert result.exit_code == 1
    assert "Cannot write the starter files" in result.output


# formserver versions


def test_versions_prints_a_table_with_the_current_version(runner, specs_dir, tmp_path):
    db = tmp_path / "formserver.db"
    storage = Storage(db)
    storage.remember_spec("acme-realty", "property-enquiry", "old0000000000", {})
    storage.start_partial("acme-realty", "property-enquiry", "old0000000000", {})
    storage.close()

    result = invoke(
        runner,
        "versions",
        "acme-realty/property-enquiry",
        "--specs",
        specs_dir,
        "--db",
        db,
    )

    assert result.exit_code == 0, result.output
    header, old, new = result.output.splitlines()
    assert header.split() == [
        "version",
        "first",
        "seen",
        "first",
        "use",
        "last",
        "use",
        "submissions",
    ]
    assert old.startswith("old0000000000") and "current" not in old
    assert old.count("UTC") == 3 and old.endswith(" 0")
    assert "current" in new and new.count("-") >= 3


def test_versions_needs_an_existing_database(runner, specs_dir, tmp_path):
    result = invoke(
        runner,
        "versions",
        "acme-realty/property-enquiry",
        "--specs",
        specs_dir,
        "--db",
        tmp_path / "none.db",
    )

    assert result.exit_code == 1
    assert "There is no database at" in result.output
    assert not (tmp_path / "none.db").exists()


def test_versions_refuses_a_file_that_is_not_a_database(runner, specs_dir, tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("not sqlite " * 100)

    result = invoke(
        runner,
        "versions",
        "acme-realty/property-enquiry",
        "--specs",
        specs_dir,
        "--db",
        db,
    )

    assert result.exit_code == 1
    assert f"{db} is not a formserver database" in result.output


def sqlite_file(path, *statements):
    """A SQLite file at ``path`` after ``statements``; its tables and version."""
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()
    return schema_of(path)


def schema_of(path):
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        tables = conn.execute("SELECT name FROM sqlite_master ORDER BY name")
        return [row[0] for row in tables], conn.execute(
            "PRAGMA user_version"
        ).fetchone()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("statements", "reason"),
    [
        (["CREATE TABLE notes (body TEXT)"], "it holds other tables: notes"),
        (["PRAGMA user_version = 3"], "it holds no tables"),
        ([], "it holds no tables"),
    ],
    ids=["another-applications-database", "empty-with-a-version", "empty"],
)
def test_versions_reads_but_never_migrates_a_foreign_database(
    runner, specs_dir, tmp_path, statements, reason
):
    db = tmp_path / "other.db"
    before = sqlite_file(db, *statements)

    result = invoke(
        runner,
        "versions",
        "acme-realty/property-enquiry",
        "--specs",
        specs_dir,
        "--db",
        db,
    )

    assert result.exit_code == 1
    assert f"{db} is not a formserver database ({reason}); pass --db" in (result.output)
    assert schema_of(db) == before


def test_versions_reports_a_broken_spec_first_and_without_log_lines(
    runner, specs_dir, tmp_path
):
    db = tmp_path / "formserver.db"
    Storage(db).close()
    path = specs_dir / "acme-realty" / "property-enquiry.json"
    path.write_text('{"title": "T", "steps": NaN}')

    result = invoke(
        runner,
        "versions",
        "acme-realty/property-enquiry",
        "--specs",
        specs_dir,
        "--db",
        db,
    )

    assert result.exit_code == 1
    first, *rest = result.stderr.splitlines()
    assert first == (
        f"the spec is broken: {path}:/steps: error: NaN is not a number JSON "
        "allows; write a number, such as 0 or 1000000, or leave the setting out"
    )
    assert rest == [
        f"Error: The database at {db} holds no version of "
        f"acme-realty/property-enquiry, and its spec {path} is broken; fix the "
        "problems above first."
    ]


def test_versions_of_a_broken_spec_still_lists_the_known_versions(
    runner, specs_dir, tmp_path
):
    db = tmp_path / "formserver.db"
    storage = Storage(db)
    storage.remember_spec("acme-realty", "property-enquiry", "old0000000000", {})
    storage.close()
    path = specs_dir / "acme-realty" / "property-enquiry.json"
    path.write_text("{")

    result = invoke(
        runner,
        "versions",
        "acme-realty/property-enquiry",
        "--specs",
        specs_dir,
        "--db",
        db,
    )

    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"the spec is broken: {path}:/: error: not valid")
    header, old = result.stdout.splitlines()
    assert old.startswith("old0000000000") and "current" not in old


def test_versions_of_an_unknown_form_says_so(runner, specs_dir, tmp_path):
    db = tmp_path / "formserver.db"
    Storage(db).close()

    result = invoke(
        runner, "versions", "acme-realty/nope", "--specs", specs_dir, "--db", db
    )

    assert result.exit_code == 1
    assert "knows the form acme-realty/nope" in result.output


def test_versions_refuses_a_bad_form_key(runner, tmp_path):
    result = invoke(runner, "versions", "nope", "--db", tmp_path / "x.db")

    assert result.exit_code == 2
    assert "'nope' is not CLIENT/FORM" in result.output


def test_init_lists_the_problems_of_a_broken_client_file(runner, tmp_path):
    specs = tmp_path / "specs"
    (specs / "acme").mkdir(parents=True)
    client_file = specs / "acme" / "client.json"
    client_file.write_text('{"name": 5}')

    result = invoke(runner, "init", "acme", "quote", "--specs", specs)

    assert result.exit_code == 1
    assert f"the client file {client_file} is broken" in result.output
    assert f"  {client_file}:/name: error: 5 should be text" in result.output
    assert not (specs / "acme" / "quote.json").exists()
