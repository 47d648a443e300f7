"""The production WSGI server: gunicorn with threaded workers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from .delivery import Deliverer


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def run_production(
    app: Flask,
    host: str,
    port: int,
    workers: int,
    deliver: bool = True,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` with gunicorn until interrupted.

    With ``deliver``, every worker also runs a webhook deliverer thread; their
    leases on due deliveries keep them from sending the same attempt twice.
    ``on_ready`` receives the address actually listened on, such as
    ``http://127.0.0.1:41823`` when ``port`` is 0.
    """
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "timeout": 30,
        "graceful_timeout": 10,
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        # gunicorn's control socket is one path per user, which a second server
        # on the host would take over and delete; formserver has no use for it.
        "control_socket_disable": True,
    }
    if on_ready is not None:
        options["when_ready"] = lambda arbiter: on_ready(str(arbiter.LISTENERS[0]))
    if deliver:
        options["post_worker_init"] = lambda worker: start_deliverer(app)
    _Gunicorn(app, options).run()


def start_deliverer(app: Flask) -> threading.Event:
    """Run webhook delivery for ``app`` in a daemon thread; set the event to stop."""
    services = app.extensions["formserver"]
    deliverer = Deliverer(services.storage, services.catalog)
    stop = threading.Event()
    thread = threading.Thread(
        target=deliverer.run, args=(stop,), name="formserver-deliver", daemon=True
    )
    thread.start()
    return stop
