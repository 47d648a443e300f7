import csv
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from formserver.cli import main

from .conftest import SECRET
from .web.test_prospects import INVESTOR, complete

EXAMPLES = Path(__file__).resolve().parent.parent / "form_specs"


def test_check_passes_the_example_specs(runner):
    result = runner.invoke(main, ["check", "form_specs"])

    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output


def test_check_reports_a_broken_spec_with_file_and_pointer(runner, tmp_path):
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "client.json").write_text('{"name": "Acme"}')
    (folder / "form.json").write_text('{"title": "T", "steps": [{"id": "Bad Id"}]}')

    result = runner.invoke(main, ["check", str(tmp_path)])

    assert result.exit_code == 1
    assert f"{folder / 'form.json'}:/steps/0/id: error:" in result.output
    assert "Traceback" not in result.output


def test_check_counts_problems_in_words(runner, tmp_path):
    (tmp_path / "client.json").write_text('{"name": "Acme"}')
    (tmp_path / "form.json").write_text("{not json")

    result = runner.invoke(main, ["check", str(tmp_path)])

    assert result.exit_code == 1
    assert "1 error, 0 warnings" in result.output


def test_check_json_format_lists_problems_as_objects(runner, tmp_path):
    (tmp_path / "spec.json").write_bytes(b"\x00\xff binary")

    result = runner.invoke(
        main, ["check", "--format", "json", str(tmp_path / "spec.json")]
    )

    problems = json.loads(result.stdout)
    assert result.exit_code == 1
    assert problems and all(p["severity"] == "error" for p in problems)
    assert {"file", "pointer", "message", "severity"} <= problems[0].keys()


def test_serve_refuses_to_start_without_a_secret_key(runner, tmp_path):
    result = runner.invoke(
        main,
        ["serve", "--specs", str(EXAMPLES), "--db", str(tmp_path / "x.db")],
        env={"FORMSERVER_SECRET_KEY": ""},
    )

    assert result.exit_code == 1
    assert "FORMSERVER_SECRET_KEY is not set" in result.output


def test_serve_refuses_a_missing_specs_folder(runner, tmp_path):
    result = runner.invoke(
        main,
        ["serve", "--specs", str(tmp_path / "nope"), "--db", str(tmp_path / "x.db")],
        env={"FORMSERVER_SECRET_KEY": SECRET},
    )

    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_a_wrong_flag_gets_a_usage_message_not_a_traceback(runner):
    result = runner.invoke(main, ["serve", "--prot", "80"])

    assert result.exit_code == 2
    assert "No such option '--prot'" in result.output
    assert "--port" in result.output


def test_export_writes_tagged_leads_and_neutralises_formulas(
    runner, client, app, tmp_path
):
    contact = dict(INVESTOR["contact"], full_name='=HYPERLINK("http://x")')
    complete(client, dict(INVESTOR, contact=contact))
    db = app.config["FORMSERVER_DB"]

    result = runner.invoke(main, ["export", "--client", "acme-realty", "--db", db])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    assert rows[0]["tier"] == "warm"
    assert rows[0]["email"] == "ann@example.com"
    assert rows[0]["full_name"] == '\'=HYPERLINK("http://x")'
    assert "Ticket between 1m and 5m (+25)" in rows[0]["reasons"]


def test_export_jsonl_has_one_lead_per_line(runner, client, app):
    complete(client, INVESTOR)
    db = app.config["FORMSERVER_DB"]

    result = runner.invoke(
        main, ["export", "--client", "acme-realty", "--format", "jsonl", "--db", db]
    )

    [line] = result.stdout.splitlines()
    lead = json.loads(line)
    assert lead["tier"] == "warm"
    assert lead["profile"]["markets"] == "europe"


def test_export_without_a_database_says_which_flag_fixes_it(runner, tmp_path):
    result = runner.invoke(
        main, ["export", "--client", "c", "--db", str(tmp_path / "missing.db")]
    )

    assert result.exit_code == 1
    assert "pass --db" in result.output


def test_export_refuses_another_applications_database_untouched(runner, tmp_path):
    db = tmp_path / "notes.db"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    before = db.read_bytes()

    result = runner.invoke(main, ["export", "--client", "c", "--db", str(db)])

    assert result.exit_code == 1
    assert f"{db} is not a formserver database (it holds other tables: notes)" in (
        result.output
    )
    assert db.read_bytes() == before


def _serve_and_read_urls(tmp_path, **environment):
    """Start ``formserver serve --port 0`` and return the form URLs it prints."""
    command = Path(sys.executable).with_name("formserver")
    env = {**os.environ, "FORMSERVER_SECRET_KEY": SECRET, **environment}
    server = subprocess.Popen(
        [command, "serve", "--port", "0", "--workers", "1"]
        + ["--specs", str(EXAMPLES), "--db", str(tmp_path / "serve.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    urls = []
    try:
        deadline = time.monotonic() + 60
        while len(urls) < 3 and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            if line.startswith("  "):
                urls.append(line.strip())
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _, errors = server.communicate(timeout=30)
    found = re.search(r"Listening at: (\S+)", errors)
    listening = found.group(1) if found else ""
    return urls, listening


def test_serve_on_port_zero_prints_the_address_it_listens_on(tmp_path):
    urls, listening = _serve_and_read_urls(tmp_path)

    assert listening.startswith("http://127.0.0.1:")
    assert not listening.endswith(":0")
    assert f"{listening}/f/acme-realty/property-enquiry" in urls
    assert len(urls) == 3


def test_serve_prints_links_on_the_public_url_when_one_is_set(tmp_path):
    urls, _ = _serve_and_read_urls(
        tmp_path, FORMSERVER_PUBLIC_URL="https://forms.example.com/"
    )

    assert "https://forms.example.com/f/acme-realty/property-enquiry" in urls


def test_serve_checks_the_specs_folder_before_creating_a_database(runner, tmp_path):
    result = runner.invoke(
        main,
        ["serve", "--specs", str(tmp_path / "nope"), "--db", str(tmp_path / "x.db")],
        env={"FORMSERVER_SECRET_KEY": SECRET},
    )

    assert result.exit_code == 1
    assert not (tmp_path / "x.db").exists()


def test_check_without_paths_checks_the_specs_folder_of_option_or_environment(
    runner, tmp_path
):
    (tmp_path / "client.json").write_text('{"name": "Acme"}')
    (tmp_path / "form.json").write_text("{not json")

    by_option = runner.invoke(main, ["check", "--specs", str(tmp_path)])
    by_variable = runner.invoke(
        main, ["check"], env={"FORMSERVER_SPECS": str(tmp_path)}
    )

    for result in (by_option, by_variable):
        assert result.exit_code == 1
        assert f"{tmp_path / 'form.json'}:" in result.output
