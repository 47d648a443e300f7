"""One error type for people, and one handler that renders every error page."""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)


class PageError(Exception):
    """An error shown to a person: a title, a sentence, a status, a way on."""

    def __init__(
        self,
        message: str,
        *,
        title: str = "Something went wrong",
        status: int = 400,
        restart_url: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.title = title
        self.status = status
        self.restart_url = restart_url
        self.retry_after = retry_after


_HTTP_MESSAGES = {
    400: ("This request could not be read", "Please go back and try again."),
    404: ("Page not found", "There is no form at this address. Please check the link."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: (
        "That was too much to send",
        "Your answers were too long to accept. Please shorten them and try again.",
    ),
    429: ("Too many attempts", "Please wait a moment, then try again."),
}


def register(app: Flask) -> None:
    """Install the handlers that turn every error into a friendly page."""
    app.register_error_handler(PageError, _page_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def render_error(error: PageError) -> Response:
    """The error page (or JSON, for API paths) for ``error``."""
    if request.path.startswith("/api/"):
        response = Response(
            json.dumps({"error": error.title, "message": error.message}),
            status=error.status,
            mimetype="application/json",
        )
        return response

    html = render_template("prospects/error.html", error=error)
    response = Response(html, status=error.status, mimetype="text/html")
    if error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _page_error(error: PageError) -> Response:
    return render_error(error)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    title, message = _HTTP_MESSAGES.get(
        status, ("Something went wrong", "Please try again in a moment.")
    )
    if status >= 500:
        logger.error("HTTP %s on %s", status, request.path)
    response = render_error(PageError(message, title=title, status=status))
    if error.response is not None:
        for header in ("Retry-After", "Allow"):
            if header in error.response.headers:
                response.headers[header] = error.response.headers[header]
    return response


def _unexpected(error: Exception) -> Response:
    logger.exception("Unexpected error on %s %s", request.method, request.path)
    page = PageError(
        "We could not complete that step. Your answers so far are saved; "
        "please try again in a moment.",
        title="Sorry, something went wrong on our side",
        status=500,
    )
    return render_error(page)
