"""The production WSGI server: gunicorn with threaded workers."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def run_production(app: Flask, host: str, port: int, workers: int) -> None:
    """Serve ``app`` with gunicorn until interrupted."""
    options = {
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
    }
    _Gunicorn(app, options).run()
