"""Requests to clients' webhook endpoints, only ever to addresses checked.

The endpoint's host is looked up once per attempt; a loopback or private
address is refused unless the client file allows it, and the request goes to
the very address that was checked. A redirect comes back as the answer it is,
never followed. Either a second lookup or a followed redirect would let a
public name lead the request to a private address.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Response:
    """An endpoint's answer; ``status`` None when none came, ``error`` says why."""

    status: int | None
    headers: Mapping[str, str]
    error: str = ""


class Refused(Exception):
    """Why a delivery may not be attempted, as a sentence for its log."""


def resolve(url: str, allow_private: bool) -> tuple[str, ...]:
    """The addresses of ``url``'s host, looked up once and checked.

    Raises :class:`Refused` when ``url`` is not http(s), does not resolve, or
    resolves to a loopback or private address that ``allow_private`` does not
    allow.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{url!r} is not an http(s) address")
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, _port(parts), type=socket.SOCK_STREAM)
    except OSError as error:
        raise Refused(f"cannot resolve {host}: {error}") from None

    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if not allow_private and not ipaddress.ip_address(address).is_global:
            raise Refused(
                f"{host} resolves to the non-public address {address}; "
                "set allow_private on this webhook in the client file to allow it"
            )
    return addresses


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError:
        raise Refused(f"{parts.geturl()!r} has no valid port number") from None
    return port or (443 if parts.scheme == "https" else 80)


def post(
    url: str, addresses: Sequence[str], body: bytes, headers: dict[str, str]
) -> Response:
    """POST ``body`` to ``url`` at one of ``addresses``, never raising.

    A redirect comes back as the answer it is, unfollowed: its target is a
    host nobody checked.
    """
    try:
        return _exchange(urlsplit(url), addresses, body, headers)
    except (OSError, ValueError, http.client.HTTPException) as error:
        return Response(None, {}, error=f"{type(error).__name__}: {error}"[:300])


def _exchange(
    parts: SplitResult, addresses: Sequence[str], body: bytes, headers: dict[str, str]
) -> Response:
    connection = _connection(parts, addresses)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request("POST", target, body=body, headers=headers)
        reply = connection.getresponse()
        return Response(reply.status, dict(reply.headers))
    finally:
        connection.close()


def _connection(
    parts: SplitResult, addresses: Sequence[str]
) -> http.client.HTTPConnection:
    host = parts.hostname or ""
    if parts.scheme == "https":
        return CheckedHTTPSConnection(host, _port(parts), addresses)
    return CheckedHTTPConnection(host, _port(parts), addresses)


def _open_socket(
    addresses: Sequence[str], port: int, timeout: float | None
) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that accepts one."""
    failure = OSError("the host has no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as error:
            failure = error
    raise failure


class CheckedHTTPConnection(http.client.HTTPConnection):
    """HTTP to ``host`` at addresses already checked, not looked up again."""

    def __init__(self, host: str, port: int, addresses: Sequence[str]) -> None:
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)
        self.addresses = tuple(addresses)

    def connect(self) -> None:
        self.sock = _open_socket(self.addresses, self.port, self.timeout)


class CheckedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``host`` at checked addresses; TLS still verifies ``host``.

    The certificate must be valid for the name in the URL, not for the
    address, and the name goes out as SNI, as it would without pinning.
    """

    def __init__(self, host: str, port: int, addresses: Sequence[str]) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=TIMEOUT_SECONDS, context=self.tls)
        self.addresses = tuple(addresses)

    def connect(self) -> None:
        plain = _open_socket(self.addresses, self.port, self.timeout)
        self.sock = self.tls.wrap_socket(plain, server_hostname=self.host)
