"""The application factory."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from .catalog import Catalog
from .config import defaults, from_environment
from .ratelimit import RateLimits
from .storage import Storage
from .tokens import Tokens

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


class _NoSessions(SessionInterface):
    def open_session(self, app: Flask, request: Any) -> None:
        return None

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


class ConfigError(RuntimeError):
    """The server cannot start with the settings it was given."""


@dataclass
class Services:
    """What the views share: the spec catalog, the database and the token signer."""

    catalog: Catalog
    storage: Storage
    tokens: Tokens
    limits: RateLimits


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the formserver Flask application.

    Settings come from the defaults, then ``FORMSERVER_*`` environment
    variables, then ``config``. Outside debug and testing a secret key must be
    configured, so that tokens survive restarts and cannot be forged.
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(defaults())
    app.config.update(from_environment())
    app.config.update(config or {})
    app.config["SECRET_KEY"] = _secret_key(app)
    # Forms keep no state in cookies, so no request should pay for a session.
    app.session_interface = _NoSessions()
    app.config["MAX_CONTENT_LENGTH"] = app.config["FORMSERVER_MAX_REQUEST_BYTES"]
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["FORMSERVER_MAX_REQUEST_BYTES"]

    storage = Storage(app.config["FORMSERVER_DB"])
    app.extensions["formserver"] = Services(
        # The database keeps every good spec and client file version, so that
        # a broken edit met first by a new process still serves the last good one.
        catalog=Catalog(app.config["FORMSERVER_SPECS"], archive=storage),
        storage=storage,
        tokens=Tokens(
            app.config["SECRET_KEY"],
            app.config["FORMSERVER_TOKEN_MAX_AGE"],
            app.config["FORMSERVER_LEAD_MAX_AGE"],
        ),
        limits=RateLimits(
            _beside(app.config["FORMSERVER_DB"], "ratelimit"),
            app.config["FORMSERVER_RATE_LIMIT_ADDRESS"],
            app.config["FORMSERVER_RATE_LIMIT_FORM"],
        ),
    )
    if app.config["FORMSERVER_PROXY_COUNT"]:
        count = app.config["FORMSERVER_PROXY_COUNT"]
        proxied = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
        app.wsgi_app = proxied  # type: ignore[method-assign]

    from .web import api, errors, headers, marketers, prospects

    app.register_blueprint(prospects.blueprint)
    app.register_blueprint(marketers.blueprint)
    app.register_blueprint(api.blueprint)
    errors.register(app)
    headers.register(app)
    return app


def _secret_key(app: Flask) -> str:
    key = str(app.config.get("FORMSERVER_SECRET_KEY") or "")
    shortest = 32
    if key:
        if len(key) < shortest:
            raise ConfigError(
                f"FORMSERVER_SECRET_KEY is too short ({len(key)} characters); use "
                f"at least {shortest} random characters."
            )
        return key
    if app.debug or app.testing or app.config.get("DEBUG") or app.config.get("TESTING"):
        logger.warning("No FORMSERVER_SECRET_KEY set; using a random one for this run")
        return secrets.token_hex(32)
    raise ConfigError(
        "FORMSERVER_SECRET_KEY is not set. Set it to a long random value, for "
        "example: export FORMSERVER_SECRET_KEY=$(python3 -c "
        "'import secrets; print(secrets.token_hex(32))'). Use the server's own "
        "key wherever tokens are signed; only formserver serve --debug may run "
        "with a throwaway one."
    )


def _beside(database: str, name: str) -> str:
    """A file next to the database, such as ``formserver-ratelimit.db``."""
    path = Path(database)
    return str(path.with_name(f"{path.stem}-{name}{path.suffix or '.db'}"))


def services() -> Services:
    """The current application's :class:`Services`."""
    found: Services = current_app.extensions["formserver"]
    return found
