"""Webhook delivery: signed the Standard Webhooks way, retried until it lands.

Each event leaves with ``webhook-id`` (the same on every attempt, so a receiver
can drop repeats), ``webhook-timestamp`` and ``webhook-signature``. A failed
attempt is retried on a growing schedule with jitter, sooner or later as the
endpoint's ``Retry-After`` asks; a ``410 Gone`` disables the endpoint; after the
last attempt the delivery is kept as failed, for ``formserver redeliver``.
Endpoints that resolve to loopback or private addresses are refused unless the
client file allows them for that endpoint.
"""

from __future__ import annotations

import datetime
import email.utils
import ipaddress
import logging
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from .catalog import Catalog
from .storage import Storage

logger = logging.getLogger(__name__)

#: Seconds before each retry: immediately, then up to about three days in all.
SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000, 86400, 86400)
JITTER = 0.2
TIMEOUT_SECONDS = 10
MAX_RETRY_AFTER = 86400


@dataclass(frozen=True)
class Endpoint:
    """One webhook endpoint of a client, as its client file names it."""

    url: str
    events: tuple[str, ...]
    secret_env: str
    allow_private: bool = False

    def wants(self, kind: str) -> bool:
        return not self.events or kind in self.events


@dataclass(frozen=True)
class Response:
    status: int | None
    headers: Mapping[str, str]
    error: str = ""


Sender = Callable[[str, bytes, dict[str, str]], Response]


def endpoints_of(catalog: Catalog, client_id: str) -> list[Endpoint]:
    """The webhook endpoints configured for ``client_id`` right now."""
    client = catalog.client(client_id)
    if client is None:
        return []
    return [
        Endpoint(
            url=hook["url"],
            events=tuple(hook.get("events", ())),
            secret_env=hook["secret_env"],
            allow_private=bool(hook.get("allow_private", False)),
        )
        for hook in client.webhooks
    ]


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST ``body`` to ``url`` and report the status, never raising."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:
            return Response(reply.status, dict(reply.headers))
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers or {}))
    except (OSError, ValueError) as error:
        return Response(None, {}, error=f"{type(error).__name__}: {error}"[:300])


def address_refusal(url: str, allow_private: bool) -> str:
    """Why ``url`` may not be called (loopback or private), or an empty string."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) address"
    if allow_private:
        return ""
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443)
    except OSError as error:
        return f"cannot resolve {parts.hostname}: {error}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return (
                f"{parts.hostname} resolves to the non-public address {address}; "
                "set allow_private on this webhook in the client file to allow it"
            )
    return ""


def retry_delay(
    attempt: int, headers: Mapping[str, str], schedule: Sequence[float]
) -> float:
    """Seconds to wait before attempt ``attempt + 1``, honouring Retry-After."""
    asked = _retry_after(headers)
    if asked is not None:
        return min(asked, MAX_RETRY_AFTER)
    base = schedule[min(attempt, len(schedule)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = datetime.datetime.now(datetime.UTC)
    return max(0.0, (moment - now).total_seconds())


class Deliverer:
    """Fans events out to endpoints and delivers what is due."""

    def __init__(
        self,
        storage: Storage,
        catalog: Catalog,
        environ: Mapping[str, str] | None = None,
        schedule: Sequence[float] = SCHEDULE,
        send: Sender = post,
    ) -> None:
        self.storage = storage
        self.catalog = catalog
        self.environ = os.environ if environ is None else environ
        self.schedule = tuple(schedule)
        self.send = send

    def run_once(self) -> int:
        """Fan out new events and attempt every due delivery; return attempts made."""
        for event in self.storage.events_to_fan_out():
            endpoints = endpoints_of(self.catalog, event["client"])
            wanted = [e.url for e in endpoints if e.wants(event["type"])]
            self.storage.fan_out(event["id"], event["client"], wanted)
        due = self.storage.claim_due()
        for delivery in due:
            self._attempt(delivery)
        return len(due)

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Deliver until ``stop`` is set, checking for work every ``interval``."""
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                logger.exception("Webhook delivery round failed; trying again shortly")
                busy = 0
            if not busy:
                stop.wait(interval)

    def _attempt(self, delivery: dict[str, Any]) -> None:
        endpoint = self._endpoint(delivery)
        if endpoint is None:
            problem = "the endpoint is no longer in the client file"
        else:
            problem = self._problem(endpoint)
        if endpoint is None or problem:
            logger.warning("Delivery %s not sent: %s", delivery["id"], problem)
            self._settle(delivery, Response(None, {}, error=problem), 0.0)
            return

        body = delivery["payload"].encode()
        headers = self._headers(delivery, endpoint)
        started = time.perf_counter()
        response = self.send(endpoint.url, body, headers)
        self._settle(delivery, response, (time.perf_counter() - started) * 1000)

    def _endpoint(self, delivery: dict[str, Any]) -> Endpoint | None:
        for endpoint in endpoints_of(self.catalog, delivery["client"]):
            if endpoint.url == delivery["endpoint"]:
                return endpoint
        return None

    def _problem(self, endpoint: Endpoint) -> str:
        if not self.environ.get(endpoint.secret_env):
            return f"the secret variable {endpoint.secret_env} is not set"
        return address_refusal(endpoint.url, endpoint.allow_private)

    def _headers(self, delivery: dict[str, Any], endpoint: Endpoint) -> dict[str, str]:
        moment = datetime.datetime.now(datetime.UTC)
        secret = self.environ[endpoint.secret_env]
        signature = Webhook(secret).sign(
            delivery["event_id"], moment, delivery["payload"]
        )
        return {
            "content-type": "application/json",
            "user-agent": "formserver-webhooks/1",
            "webhook-id": delivery["event_id"],
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signature,
        }

    def _settle(self, delivery: dict[str, Any], response: Response, ms: float) -> None:
        status = response.status
        attempt = delivery["attempts"] + 1
        if status is not None and 200 <= status < 300:
            outcome, delay = "delivered", None
        elif status == 410:
            outcome, delay = "disabled", None
        elif attempt > len(self.schedule):
            outcome, delay = "failed", None
        else:
            outcome = "retry"
            delay = retry_delay(attempt, response.headers, self.schedule)
        error = response.error or ("" if outcome == "delivered" else f"HTTP {status}")
        self.storage.record_attempt(delivery, status, error, ms, outcome, delay)
        if outcome != "delivered":
            logger.warning(
                "Delivery %s attempt %d to %s: %s",
                delivery["id"],
                attempt,
                urlsplit(delivery["endpoint"]).hostname,
                outcome,
            )
