import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from formserver.app import create_app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SPECS = ROOT / "form_specs"
SECRET = "test-secret-key-of-enough-length"


@pytest.fixture
def specs_dir(tmp_path):
    """A private copy of the example specs that a test may edit."""
    target = tmp_path / "specs"
    shutil.copytree(EXAMPLE_SPECS, target)
    return target


@pytest.fixture
def app(tmp_path, specs_dir):
    return create_app(
        {
            "TESTING": True,
            "FORMSERVER_SECRET_KEY": SECRET,
            "FORMSERVER_SPECS": str(specs_dir),
            "FORMSERVER_DB": str(tmp_path / "formserver.db"),
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def storage(app):
    return app.extensions["formserver"].storage


@pytest.fixture
def runner():
    return CliRunner()


def token_of(response):
    """The form token carried in a step page."""
    match = re.search(r'name="_t" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page carries no form token"
    return match.group(1)


def step_of(response):
    match = re.search(r'name="_step" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page shows no step"
    return match.group(1)
