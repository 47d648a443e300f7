import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from formserver.app import create_app
from formserver.delivery import Deliverer

from .webhooks import SECRET as HOOK_SECRET
from .webhooks import Receiver, hook_up

#: Multiplies the examples of every fuzzing test, for a deep run on demand:
#: ``FORMSERVER_FUZZ_SCALE=25 pytest tests/web/test_hostile_input.py``.
FUZZ_SCALE = int(os.environ.get("FORMSERVER_FUZZ_SCALE") or 1)


def fuzzing(examples):
    """Hypothesis settings for ``examples`` hostile inputs (times the scale)."""
    return settings(
        max_examples=examples * FUZZ_SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SPECS = ROOT / "form_specs"
SECRET = "test-secret-key-of-enough-length"


@pytest.fixture
def specs_dir(tmp_path):
    """A private copy of the example specs that a test may edit."""
    target = tmp_path / "specs"
    shutil.copytree(EXAMPLE_SPECS, target)
    return target


def app_config(tmp_path, specs_dir, **more):
    """The settings of a test app over ``specs_dir`` and a database in ``tmp_path``."""
    return {
        "TESTING": True,
        "FORMSERVER_SECRET_KEY": SECRET,
        "FORMSERVER_SPECS": str(specs_dir),
        "FORMSERVER_DB": str(tmp_path / "formserver.db"),
        # The test client answers a whole form in milliseconds, like a bot.
        "FORMSERVER_MIN_FILL_SECONDS": 0,
        **more,
    }


@pytest.fixture
def app(tmp_path, specs_dir):
    return create_app(app_config(tmp_path, specs_dir))


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


@pytest.fixture
def receiver():
    """A CRM stand-in listening on loopback."""
    found = Receiver()
    yield found
    found.close()


def deliverer_for(app, **options):
    """A deliverer for acme-realty whose retries are all due at once."""
    services = app.extensions["formserver"]
    return Deliverer(
        services.storage,
        services.catalog,
        environ={"ACME_HOOK_SECRET": HOOK_SECRET},
        schedule=(0, 0, 0, 0),
        **options,
    )


@pytest.fixture
def deliverer(app, specs_dir, receiver):
    """A deliverer for acme-realty, whose client file now points at ``receiver``."""
    hook_up(specs_dir, receiver.url)
    return deliverer_for(app)
