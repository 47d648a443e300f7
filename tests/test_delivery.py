"""Webhook delivery against a real receiver on loopback."""

import datetime
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook

from formserver.delivery import Deliverer, address_refusal, retry_delay

from .web.test_prospects import INVESTOR, complete
from .webhooks import SECRET, hook_up, submit


def test_a_submission_arrives_signed_the_standard_webhooks_way(
    client, deliverer, receiver
):
    submit(client)

    deliverer.run_once()

    [(headers, body, _)] = receiver.received
    payload = Webhook(SECRET).verify(body, headers)
    assert payload["type"] == "lead.submitted"
    data = payload["data"]
    assert data["lead"]["email"] == "ann@example.com"
    assert data["lead"]["tag"]["tier"] == "warm"
    assert data["lead"]["tag"]["route"]["track"] == "investor-nurture"
    assert data["hidden"] == {"utm_source": "ads"}
    assert len(data["submission"]["spec_version"]) == 12
    assert headers["webhook-id"].startswith("msg_")


def test_a_returning_lead_sends_lead_updated(client, deliverer, receiver):
    submit(client)
    submit(client)

    deliverer.run_once()

    kinds = [json.loads(body)["type"] for _, body, _ in receiver.received]
    assert sorted(kinds) == ["lead.submitted", "lead.updated"]


def test_the_event_is_written_with_the_submission_or_not_at_all(
    client, storage, monkeypatch
):
    from formserver import events

    def broken(*args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(events, "lead_payload", broken)

    response = complete(client, INVESTOR)

    assert response.status_code == 500
    assert storage.submissions() == []
    assert list(storage.db.query("SELECT * FROM events")) == []
    assert "Traceback" not in response.get_data(as_text=True)


def test_failures_are_retried_with_the_same_id_until_delivered(
    client, deliverer, receiver, storage
):
    receiver.answers = [(500, {}), (503, {})]
    submit(client)

    for _ in range(3):
        deliverer.run_once()

    ids = [h["webhook-id"] for h, _, _ in receiver.received]
    assert len(ids) == 3 and len(set(ids)) == 1
    [delivery] = storage.deliveries()
    assert delivery["status"] == "delivered"
    assert [a["status"] for a in storage.attempts(delivery["id"])] == [500, 503, 200]


def test_retry_after_is_honoured(client, deliverer, receiver, storage):
    receiver.answers = [(429, {"Retry-After": "120"})]
    submit(client)

    deliverer.run_once()

    [delivery] = storage.deliveries()
    due = datetime.datetime.fromisoformat(delivery["next_attempt_at"])
    wait = (due - datetime.datetime.now(datetime.UTC)).total_seconds()
    assert 100 < wait <= 120
    assert deliverer.run_once() == 0


def test_gone_disables_the_endpoint(client, deliverer, receiver, storage):
    receiver.answers = [(410, {})]
    submit(client, "one@example.com")
    deliverer.run_once()

    submit(client, "two@example.com")
    deliverer.run_once()

    assert len(receiver.received) == 1
    assert [d["status"] for d in storage.deliveries()] == ["disabled"]


def test_after_the_last_attempt_a_delivery_fails_and_can_be_replayed(
    client, deliverer, receiver, storage
):
    receiver.answers = [(500, {})] * 5
    submit(client)
    for _ in range(6):
        deliverer.run_once()
    [failed] = storage.deliveries("failed")
    assert failed["attempts"] == 5

    assert storage.redeliver() == 1
    deliverer.run_once()

    assert storage.deliveries()[0]["status"] == "delivered"
    assert len(receiver.accepted_ids()) == 1


def test_a_receiver_that_is_down_gets_every_lead_once_when_it_recovers(
    client, deliverer, receiver, storage
):
    receiver.answers = [(500, {})] * 6
    for number in range(6):
        submit(client, f"lead{number}@example.com")
    deliverer.run_once()

    for _ in range(3):
        deliverer.run_once()

    accepted = receiver.accepted_ids()
    assert len(accepted) == len(set(accepted)) == 6
    assert {d["status"] for d in storage.deliveries()} == {"delivered"}


def test_a_worker_killed_mid_batch_loses_nothing(client, deliverer, receiver, storage):
    submit(client)
    for event in storage.events_to_fan_out():
        storage.fan_out(event["id"], event["client"], [receiver.url])
    claimed = storage.claim_due(lease_seconds=0.3)
    assert len(claimed) == 1

    assert deliverer.run_once() == 0
    time.sleep(0.4)
    deliverer.run_once()

    assert len(receiver.accepted_ids()) == 1


def test_private_addresses_are_refused_unless_allowed(
    client, app, specs_dir, receiver, storage
):
    hook_up(specs_dir, receiver.url, allow_private=False)
    services = app.extensions["formserver"]
    deliverer = Deliverer(
        services.storage, services.catalog, environ={"ACME_HOOK_SECRET": SECRET}
    )
    submit(client)

    deliverer.run_once()

    assert receiver.received == []
    [delivery] = storage.deliveries()
    assert "non-public address 127.0.0.1" in delivery["last_error"]


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://127.0.0.1/x", "non-public"),
        ("http://10.1.2.3/x", "non-public"),
        ("http://[::1]/x", "non-public"),
        ("http://169.254.169.254/latest", "non-public"),
        ("ftp://example.com/x", "not an http(s) address"),
    ],
)
def test_address_refusal_names_the_reason(url, fragment):
    assert fragment in address_refusal(url, allow_private=False)


def test_a_missing_secret_is_reported_not_sent(
    client, app, specs_dir, receiver, storage
):
    hook_up(specs_dir, receiver.url)
    services = app.extensions["formserver"]
    deliverer = Deliverer(services.storage, services.catalog, environ={})
    submit(client)

    deliverer.run_once()

    assert receiver.received == []
    assert "ACME_HOOK_SECRET is not set" in storage.deliveries()[0]["last_error"]


def test_retry_delays_grow_with_jitter():
    schedule = (5, 300, 1800)

    delays = [retry_delay(attempt, {}, schedule) for attempt in (1, 2, 3)]

    assert 4 <= delays[0] <= 6
    assert 240 <= delays[1] <= 360
    assert 1440 <= delays[2] <= 2160
