"""A webhook receiver on loopback, and helpers to point a client at it."""

import base64
import json
import secrets
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class Receiver:
    """A CRM stand-in: records every request and answers as told.

    ``port`` 0 takes a free one; ``tls`` is a (certificate, key) pair of files
    for a receiver that speaks HTTPS.
    """

    def __init__(self, port=0, tls=None):
        self.received = []
        self.answers = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"] or 0))
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

            # A client that follows a redirect may turn the POST into a GET;
            # recording it too lets a test see that nothing was followed.
            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(
                self.server.socket, server_side=True
            )
        self.port = self.server.server_port
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def accepted_ids(self):
        return [h["webhook-id"] for h, _, status in self.received if status < 300]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    """A loopback port nothing listens on, so connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed(folder, host):
    """A certificate for ``host`` and its key, as files under ``folder``."""
    cert, key = folder / f"{host}.crt", folder / f"{host}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-nodes"]
        + ["-pkeyopt", "ec_paramgen_curve:prime256v1", "-days", "1"]
        + ["-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host}"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


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
