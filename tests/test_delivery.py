"""Webhook delivery against a real receiver on loopback."""

import datetime
import email.utils
import json
import re
import socket
import time

import pytest
from standardwebhooks.webhooks import Webhook

from formserver.cli import main
from formserver.delivery import MAX_RETRY_AFTER, Deliverer, retry_delay
from formserver.outbound import Refused, resolve

from .conftest import deliverer_for
from .web.test_prospects import INVESTOR, complete
from .webhooks import SECRET, Receiver, free_port, hook_up, self_signed, submit


def seconds_until(stamp):
    moment = datetime.datetime.fromisoformat(stamp)
    return (moment - datetime.datetime.now(datetime.UTC)).total_seconds()


def http_date(seconds_from_now):
    moment = datetime.datetime.now(datetime.UTC)
    moment += datetime.timedelta(seconds=seconds_from_now)
    return email.utils.format_datetime(moment, usegmt=True)


def fake_dns(monkeypatch, names):
    """Resolve each of ``names`` to its list of answers, one answer per lookup.

    The last answer repeats; every other name resolves as usual. Returns the
    list of names looked up through the fake.
    """
    real = socket.getaddrinfo
    looked_up = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in names:
            return real(host, port, *args, **kwargs)
        answers = names[host]
        address = answers[min(len(looked_up), len(answers) - 1)]
        looked_up.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


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


def retry_after(seconds, as_date):
    return http_date(seconds) if as_date else str(seconds)


@pytest.mark.parametrize("as_date", [False, True])
def test_retry_after_is_honoured_in_seconds_or_as_a_date(
    client, deliverer, receiver, storage, as_date
):
    receiver.answers = [(429, {"Retry-After": retry_after(120, as_date)})]
    submit(client)

    deliverer.run_once()

    [delivery] = storage.deliveries()
    assert 100 < seconds_until(delivery["next_attempt_at"]) <= 120
    assert deliverer.run_once() == 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (lambda: "120", 120),
        (lambda: http_date(600), 600),
        (lambda: http_date(600).replace("GMT", "-0000"), 600),
        (lambda: http_date(-600), 0),
        (lambda: str(MAX_RETRY_AFTER * 10), MAX_RETRY_AFTER),
        (lambda: http_date(MAX_RETRY_AFTER * 10), MAX_RETRY_AFTER),
    ],
    ids=["seconds", "date", "date-0000", "past", "seconds-capped", "date-capped"],
)
def test_retry_after_is_read_as_seconds_or_a_date_and_capped(header, expected):
    delay = retry_delay(1, {"Retry-After": header()}, (5, 300))

    assert delay == pytest.approx(expected, abs=2)


def test_a_retry_after_beyond_the_cap_waits_only_the_cap(
    client, deliverer, receiver, storage
):
    receiver.answers = [(503, {"Retry-After": http_date(30 * 86400)})]
    submit(client)

    deliverer.run_once()

    [delivery] = storage.deliveries()
    wait = seconds_until(delivery["next_attempt_at"])
    assert MAX_RETRY_AFTER - 60 < wait <= MAX_RETRY_AFTER


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

    assert storage.redeliver().queued == [failed["id"]]
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


def test_a_receiver_refusing_connections_gets_every_lead_once_when_it_is_back(
    app, client, specs_dir, storage
):
    port = free_port()
    hook_up(specs_dir, f"http://127.0.0.1:{port}/hooks")
    deliverer = deliverer_for(app)
    for number in range(3):
        submit(client, f"lead{number}@example.com")

    assert deliverer.run_once() == 3
    assert deliverer.run_once() == 3
    errors = {d["last_error"] for d in storage.deliveries()}
    assert all(error.startswith("ConnectionRefusedError") for error in errors)

    receiver = Receiver(port=port)
    try:
        assert deliverer.run_once() == 3
        assert deliverer.run_once() == 0
    finally:
        receiver.close()

    accepted = receiver.accepted_ids()
    assert len(accepted) == len(set(accepted)) == 3
    assert {d["status"] for d in storage.deliveries()} == {"delivered"}
    assert {d["attempts"] for d in storage.deliveries()} == {3}


def fan_out_to(storage, url):
    for event in storage.events_to_fan_out():
        storage.fan_out(event["id"], event["client"], [url])


def test_a_worker_killed_mid_attempt_loses_nothing(
    client, deliverer, receiver, storage
):
    submit(client)
    fan_out_to(storage, receiver.url)
    assert storage.claim_next(lease_seconds=0.3) is not None

    assert deliverer.run_once() == 0
    time.sleep(0.4)
    deliverer.run_once()

    assert len(receiver.accepted_ids()) == 1


def test_a_late_answer_does_not_undo_what_the_next_lease_holder_recorded(
    client, receiver, storage
):
    submit(client)
    fan_out_to(storage, receiver.url)
    late = storage.claim_next(lease_seconds=0.05)
    time.sleep(0.1)
    taken_over = storage.claim_next()

    assert storage.record_attempt(taken_over, 200, "", 5.0, "delivered")
    assert not storage.record_attempt(late, 500, "HTTP 500", 9000.0, "retry", 0)

    [delivery] = storage.deliveries()
    assert delivery["status"] == "delivered"
    assert [a["status"] for a in storage.attempts(delivery["id"])] == [200]


def test_a_slow_attempt_does_not_let_another_worker_resend_the_rest(
    app, client, deliverer, receiver, storage
):
    from formserver.outbound import post

    def slow_post_while_another_worker_runs(url, addresses, body, headers):
        time.sleep(0.3)
        deliverer.run_once()
        return post(url, addresses, body, headers)

    slow = deliverer_for(
        app, send=slow_post_while_another_worker_runs, lease_seconds=0.5
    )
    for number in range(3):
        submit(client, f"lead{number}@example.com")

    slow.run_once()

    accepted = receiver.accepted_ids()
    assert len(accepted) == len(set(accepted)) == 3
    assert {d["attempts"] for d in storage.deliveries()} == {1}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_attempt_and_is_never_followed(
    client, deliverer, receiver, storage, status
):
    elsewhere = Receiver()
    receiver.answers = [(status, {"Location": elsewhere.url})]
    submit(client)
    try:
        deliverer.run_once()
    finally:
        elsewhere.close()

    assert elsewhere.received == []
    [delivery] = storage.deliveries()
    assert delivery["status"] == "pending"
    assert delivery["last_error"] == (
        f"the endpoint answered {status}, and redirects are not followed"
    )
    [attempt] = storage.attempts(delivery["id"])
    assert attempt["status"] == status

    deliverer.run_once()

    assert storage.deliveries()[0]["status"] == "delivered"
    assert len(receiver.accepted_ids()) == 1


def test_the_request_goes_to_the_very_address_that_was_checked(
    app, client, specs_dir, receiver, storage, monkeypatch
):
    url = f"http://rebind.test:{receiver.port}/hooks"
    hook_up(specs_dir, url, allow_private=False)
    deliverer = deliverer_for(app)
    submit(client)
    looked_up = fake_dns(monkeypatch, {"rebind.test": ["93.184.216.34", "10.0.0.7"]})
    dialled = []
    real_connect = socket.create_connection

    def connect(address, *args, **kwargs):
        dialled.append(address[0])
        return real_connect(("127.0.0.1", receiver.port), *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", connect)

    deliverer.run_once()

    assert looked_up == ["rebind.test"]
    assert dialled == ["93.184.216.34"]
    [(headers, _, _)] = receiver.received
    assert headers["host"] == f"rebind.test:{receiver.port}"
    assert storage.deliveries()[0]["status"] == "delivered"


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """An HTTPS receiver for hooks.test, trusted through SSL_CERT_FILE."""
    cert, key = self_signed(tmp_path, "hooks.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    fake_dns(monkeypatch, {"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    found = Receiver(tls=(cert, key))
    yield found
    found.close()


def test_https_goes_to_the_checked_address_and_verifies_the_host_name(
    app, client, specs_dir, tls_receiver, storage
):
    hook_up(specs_dir, f"https://hooks.test:{tls_receiver.port}/hooks")
    submit(client)

    deliverer_for(app).run_once()

    [(headers, body, _)] = tls_receiver.received
    assert headers["host"] == f"hooks.test:{tls_receiver.port}"
    Webhook(SECRET).verify(body, headers)
    assert storage.deliveries()[0]["status"] == "delivered"


def test_https_refuses_a_certificate_for_another_host_name(
    app, client, specs_dir, tls_receiver, storage
):
    hook_up(specs_dir, f"https://other.test:{tls_receiver.port}/hooks")
    submit(client)

    deliverer_for(app).run_once()

    assert tls_receiver.received == []
    [delivery] = storage.deliveries()
    assert delivery["status"] == "pending"
    assert "SSLCertVerificationError" in delivery["last_error"]
    assert "other.test" in delivery["last_error"]


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
        ("http://example.com:99999/x", "no valid port number"),
    ],
)
def test_address_refusal_names_the_reason(url, fragment):
    with pytest.raises(Refused, match=re.escape(fragment)):
        resolve(url, allow_private=False)


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


@pytest.mark.parametrize(("attempt", "base"), [(1, 5), (2, 300), (3, 1800)])
def test_retry_delays_follow_the_schedule_with_jitter_of_a_fifth(attempt, base):
    delays = [retry_delay(attempt, {}, (5, 300, 1800)) for _ in range(500)]

    assert all(base * 0.8 <= delay <= base * 1.2 for delay in delays)
    assert len(set(delays)) > 400
    assert min(delays) < base * 0.9 and max(delays) > base * 1.1


def redeliver(app, *args):
    from click.testing import CliRunner

    db = app.config["FORMSERVER_DB"]
    return CliRunner().invoke(main, ["redeliver", *map(str, args), "--db", db])


def test_redeliver_names_unknown_ids_and_queues_nothing(
    app, client, deliverer, receiver, storage
):
    receiver.answers = [(500, {})] * 5
    submit(client)
    for _ in range(5):
        deliverer.run_once()
    [failed] = storage.deliveries("failed")

    result = redeliver(app, failed["id"], 998, 999)

    assert result.exit_code == 1
    assert "No delivery has the id 998 or 999" in result.output
    assert "Nothing was queued" in result.output
    assert storage.deliveries()[0]["status"] == "failed"


def test_redeliver_sends_a_delivered_one_again_only_when_asked(
    app, client, deliverer, receiver, storage
):
    submit(client)
    deliverer.run_once()
    [delivered] = storage.deliveries()

    refused = redeliver(app, delivered["id"])
    assert refused.exit_code == 1
    assert "Already delivered" in refused.output and "--again" in refused.output
    assert deliverer.run_once() == 0

    again = redeliver(app, delivered["id"], "--again")
    assert again.exit_code == 0, again.output
    deliverer.run_once()

    [first, second] = receiver.accepted_ids()
    assert first == second


def test_redeliver_says_the_endpoint_is_disabled_until_reenabled(
    app, client, deliverer, receiver, storage
):
    receiver.answers = [(410, {})]
    submit(client)
    deliverer.run_once()
    [gone] = storage.deliveries("disabled")

    refused = redeliver(app, gone["id"])
    assert refused.exit_code == 1
    assert f"goes to {receiver.url}, disabled since it answered 410 Gone" in (
        refused.output
    )
    assert "--reenable" in refused.output

    reenabled = redeliver(app, gone["id"], "--reenable")
    assert reenabled.exit_code == 0, reenabled.output
    deliverer.run_once()
    submit(client, "next@example.com")
    deliverer.run_once()

    assert len(receiver.accepted_ids()) == 2
    assert {d["status"] for d in storage.deliveries()} == {"delivered"}


def test_redeliver_all_failed_leaves_disabled_endpoints_alone(
    app, client, deliverer, receiver, storage
):
    receiver.answers = [(500, {})] * 5 + [(410, {})]
    submit(client, "first@example.com")
    for _ in range(5):
        deliverer.run_once()
    submit(client, "second@example.com")
    deliverer.run_once()

    result = redeliver(app, "--all-failed")

    assert result.exit_code == 0, result.output
    assert "0 deliveries queued again" in result.output
    assert "disabled since it answered 410 Gone" in result.output
    assert deliverer.run_once() == 0
    assert len(receiver.received) == 6
