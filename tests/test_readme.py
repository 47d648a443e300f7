"""The README keeps its promises: the commands CI runs and every setting."""

from pathlib import Path

from formserver.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text()

    missing = [s.key for s in SETTINGS if f"`{s.key}`" not in readme]

    assert missing == []


def test_ci_runs_exactly_the_test_command_of_the_readme():
    readme = (ROOT / "README.md").read_text()
    lines = [
        line.strip()
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]

    assert lines and lines[-1] in readme
