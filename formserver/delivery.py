"""Webhook delivery: signed the Standard Webhooks way, retried until it lands.

Each event leaves with ``webhook-id`` (the same on every attempt, so a receiver
can drop repeats), ``webhook-timestamp`` and ``webhook-signature``. A failed
attempt is retried on a growing schedule with jitter, sooner or later as the
endpoint's ``Retry-After`` asks; a ``410 Gone`` disables the endpoint; after the
last attempt the delivery is kept as failed, for ``formserver redeliver``.
Endpoints that resolve to loopback or private addresses are refused unless the
client file allows them for that endpoint; ``formserver.outbound`` sends the
request to the very address it checked and never follows a redirect.
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from .catalog import Catalog
from .outbound import Refused, Response, post, resolve
from .storage import Storage, now
from .storage.outbox import LEASE_SECONDS

logger = logging.getLogger(__name__)

#: Seconds before each retry: immediately, then up to about three days in all.
SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000, 86400, 86400)
JITTER = 0.2
MAX_RETRY_AFTER = 86400
#: Deliveries one worker attempts in a round before looking for new events.
BATCH = 20


@dataclass(frozen=True)
class Endpoint:
    """One webhook endpoint of a client, as its client file names it."""

    url: str
    events: tuple[str, ...]
    secret_env: str
    allow_private: bool = False

    def wants(self, kind: str) -> bool:
        return not self.events or kind in self.events


Sender = Callable[[str, Sequence[str], bytes, dict[str, str]], Response]


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
    if moment.tzinfo is None:
        # RFC 5322 reads a "-0000" zone as unknown; HTTP dates are always UTC.
        moment = moment.replace(tzinfo=datetime.UTC)
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
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.storage = storage
        self.catalog = catalog
        self.environ = os.environ if environ is None else environ
        self.schedule = tuple(schedule)
        self.send = send
        self.lease_seconds = lease_seconds

    def run_once(self) -> int:
        """Fan out new events and attempt what is due; return attempts made.

        Each delivery is leased just before its own attempt, so that however
        long the round takes, no other worker can take a delivery this one is
        sending, and none waits behind a batch this one has not reached. What
        falls due during the round (a retry with no delay) waits for the next.
        """
        self._fan_out()
        started = now()
        made = 0
        while made < BATCH:
            delivery = self.storage.claim_next(started, self.lease_seconds)
            if delivery is None:
                break
            self._attempt(delivery)
            made += 1
        return made

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

    def _fan_out(self) -> None:
        for event in self.storage.events_to_fan_out():
            endpoints = endpoints_of(self.catalog, event["client"])
            wanted = [e.url for e in endpoints if e.wants(event["type"])]
            self.storage.fan_out(event["id"], event["client"], wanted)

    def _attempt(self, delivery: dict[str, Any]) -> None:
        try:
            endpoint, addresses = self._target(delivery)
        except Refused as refusal:
            logger.warning("Delivery %s not sent: %s", delivery["id"], refusal)
            self._settle(delivery, Response(None, {}, error=str(refusal)), 0.0)
            return

        body = delivery["payload"].encode()
        headers = self._headers(delivery, endpoint)
        started = time.perf_counter()
        response = self.send(endpoint.url, addresses, body, headers)
        self._settle(delivery, response, (time.perf_counter() - started) * 1000)

    def _target(self, delivery: dict[str, Any]) -> tuple[Endpoint, tuple[str, ...]]:
        """The endpoint of ``delivery`` and the checked addresses to call it at."""
        endpoint = self._endpoint(delivery)
        if endpoint is None:
            raise Refused("the endpoint is no longer in the client file")
        if not self.environ.get(endpoint.secret_env):
            raise Refused(f"the secret variable {endpoint.secret_env} is not set")
        return endpoint, resolve(endpoint.url, endpoint.allow_private)

    def _endpoint(self, delivery: dict[str, Any]) -> Endpoint | None:
        for endpoint in endpoints_of(self.catalog, delivery["client"]):
            if endpoint.url == delivery["endpoint"]:
                return endpoint
        return None

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
        error = "" if outcome == "delivered" else _failure(response)
        if not self.storage.record_attempt(delivery, status, error, ms, outcome, delay):
            logger.warning(
                "Delivery %s attempt %d answered after its lease ran out; "
                "the worker that took it over keeps its record",
                delivery["id"],
                attempt,
            )
        elif outcome != "delivered":
            logger.warning(
                "Delivery %s attempt %d to %s: %s",
                delivery["id"],
                attempt,
                urlsplit(delivery["endpoint"]).hostname,
                outcome,
            )


def _failure(response: Response) -> str:
    """What the delivery log says about an attempt that did not land."""
    if response.error:
        return response.error

    status = response.status
    if status is not None and 300 <= status < 400:
        return f"the endpoint answered {status}, and redirects are not followed"
    return f"HTTP {status}"
