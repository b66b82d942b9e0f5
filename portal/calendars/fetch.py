"""Fetching a calendar address safely: the portal fetches addresses its users typed in, so it must
not become a way into the servers' own network (SSRF).

- ``http``/``https`` only; at most ``max_bytes`` (5 MB, also after gzip), ``timeout`` seconds for
  the whole fetch (20 s, redirects included), ``max_redirects`` redirects (3).
- Every host is resolved first and refused when any of its addresses is not public (private,
  loopback, link-local, shared, reserved, multicast), on every redirect; the connection then goes
  to the address that was checked, so a second DNS answer cannot swap it (DNS rebinding).
- Conditional GET: ``ETag`` and ``Last-Modified`` from the last fetch; 304 means unchanged.

``Guard(allow_private=True)`` (``CALENDAR_ALLOW_PRIVATE_HOSTS=1``, development and tests only)
lets private addresses through; ``Guard(allowed=…)`` lets exactly the given (address, port) pairs
through, so a test server on loopback can redirect to a refused address.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from ..version import VERSION

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 20.0
MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = f"Praxisportal-Kalenderabruf/{VERSION}"
_CHUNK = 64 * 1024


class FetchError(Exception):
    """The fetch failed; ``code`` and ``params`` say why (worded in calendars/messages.py)."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code, params)
        self.code, self.params = code, params

    def as_dict(self) -> dict:
        return {"code": self.code, **self.params}


@dataclass(frozen=True)
class Fetched:
    body: bytes | None  # None: 304, unchanged since the ETag / Last-Modified sent
    etag: str | None = None
    last_modified: str | None = None

    @property
    def unchanged(self) -> bool:
        return self.body is None


@dataclass(frozen=True)
class Guard:
    """Which addresses a fetch may connect to: public ones, plus private ones when allowed."""

    allow_private: bool = False
    allowed: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    def permits(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> bool:
        if self.allow_private or (str(address), port) in self.allowed:
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return address.is_global and not address.is_multicast


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None, guard: Guard = Guard(),
          max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT, max_redirects: int = MAX_REDIRECTS) -> Fetched:
    """GET the address, following redirects; raises FetchError with the reason it failed."""
    deadline = time.monotonic() + timeout
    for _hop in range(max_redirects + 1):
        connection, response, sock = _request(url, etag, last_modified, guard, deadline)
        try:
            if response.status in REDIRECTS and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location").strip())
                continue
            if response.status == 304 and (etag or last_modified):
                return Fetched(None, etag, last_modified)
            if response.status != 200:
                raise FetchError("http_status", status=response.status, reason=response.reason or "")
            body = _read_body(response, sock, max_bytes, deadline)
            return Fetched(body, response.getheader("ETag"), response.getheader("Last-Modified"))
        finally:
            connection.close()
    raise FetchError("too_many_redirects", limit=max_redirects)


def _request(url: str, etag, last_modified, guard: Guard, deadline: float):
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError("address_invalid") from exc
    if scheme not in ("http", "https") or not host:
        raise FetchError("scheme", scheme=scheme)
    addresses = _resolve(host, port)
    refused = [a for a in addresses if not guard.permits(a, port)]
    if refused:
        raise FetchError("private_address", host=host)
    sock = _connect(host, addresses, port, deadline)
    if scheme == "https":
        sock = _tls(sock, host)
        connection = http.client.HTTPSConnection(host, port)
    else:
        connection = http.client.HTTPConnection(host, port)
    connection.sock = sock  # the checked address, already connected: request() connects nowhere else
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5", "Accept-Encoding": "gzip"}
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        _remaining(sock, deadline)
        connection.request("GET", target, headers=headers)
        _remaining(sock, deadline)
        response = connection.getresponse()
    except TimeoutError as exc:
        connection.close()
        raise FetchError("timeout") from exc
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        raise FetchError("bad_response", host=host) from exc
    except ValueError:  # http.client refuses control characters; its message would quote the address
        connection.close()
        raise FetchError("address_invalid") from None
    return connection, response, sock


def _resolve(host: str, port: int) -> list:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("dns", host=host) from exc
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError("dns", host=host)
    return addresses


def _connect(host: str, addresses: list, port: int, deadline: float) -> socket.socket:
    """A connection to the first of the checked addresses that answers."""
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("timeout")
        try:
            return socket.create_connection((str(address), port), timeout=remaining)
        except OSError:
            continue
    if deadline - time.monotonic() <= 0:
        raise FetchError("timeout")
    raise FetchError("unreachable", host=host)


def _tls(sock: socket.socket, host: str) -> ssl.SSLSocket:
    """TLS with the certificate checked against the host name (not the address connected to)."""
    try:
        return ssl.create_default_context().wrap_socket(sock, server_hostname=host)
    except ssl.SSLError as exc:
        sock.close()
        raise FetchError("tls", host=host) from exc
    except TimeoutError as exc:
        sock.close()
        raise FetchError("timeout") from exc
    except OSError as exc:
        sock.close()
        raise FetchError("unreachable", host=host) from exc


def _remaining(sock: socket.socket, deadline: float) -> None:
    """Let the next socket operation wait no longer than the fetch has left."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    sock.settimeout(remaining)


def _read_body(response: http.client.HTTPResponse, sock: socket.socket, max_bytes: int, deadline: float) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too_large", limit=max_bytes)
    gzipped = (response.getheader("Content-Encoding") or "").strip().lower() in ("gzip", "x-gzip")
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    body, received = bytearray(), 0
    try:
        while True:
            _remaining(sock, deadline)
            chunk = response.read1(_CHUNK)
            if not chunk:
                break
            received += len(chunk)
            if received > max_bytes:
                raise FetchError("too_large", limit=max_bytes)
            if decoder is not None:
                chunk = decoder.decompress(chunk, max_bytes + 1 - len(body))
                if decoder.unconsumed_tail:
                    raise FetchError("too_large", limit=max_bytes)
            body += chunk
            if len(body) > max_bytes:
                raise FetchError("too_large", limit=max_bytes)
    except TimeoutError as exc:
        raise FetchError("timeout") from exc
    except (OSError, http.client.HTTPException, zlib.error) as exc:
        raise FetchError("bad_response", host=response.getheader("Host") or "") from exc
    return bytes(body)
