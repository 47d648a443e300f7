"""A webhook receiver on loopback, and helpers to point a client at it."""

import base64
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class Receiver:
    """A CRM stand-in: records every request and answers as told."""

    def __init__(self):
        self.received = []
        self.answers = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    status, headers = (
                        receiver.answers.pop(0) if receiver.answers else (200, {})
                    )
                    headers_in = {k.lower(): v for k, v in self.headers.items()}
                    receiver.received.append((headers_in, body, status))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def accepted_ids(self):
        return [h["webhook-id"] for h, _, status in self.received if status < 300]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def hook_up(specs_dir, url, **options):
    path = specs_dir / "acme-realty/client.json"
    client = json.loads(path.read_text())
    client["webhooks"] = [
        dict(
            {"url": url, "secret_env": "ACME_HOOK_SECRET", "allow_private": True},
            **options,
        )
    ]
    path.write_text(json.dumps(client))


def submit(client, email="ann@example.com"):
    from .web.test_prospects import INVESTOR, complete

    contact = dict(INVESTOR["contact"], email=email)
    complete(
        client,
        dict(INVESTOR, contact=contact),
        start="/f/acme-realty/property-enquiry?utm_source=ads",
    )
