"""Fetching calendar addresses from a real HTTP server on loopback: conditional GET, redirects,
errors, slow and oversized answers, and the guard that keeps the fetch out of internal networks
(checked after DNS resolution and on every redirect)."""

import gzip
import threading
import time
from pathlib import Path

import pytest

from portal.calendars.fetch import MAX_BYTES, FetchError, Guard, fetch
from portal.devtools.feed_server import FeedHandler, FeedServer

GOOGLE = (Path(__file__).parent / "calendar_feeds" / "google.ics").read_bytes()


class Misbehaving(FeedHandler):
    """The calendar files, plus the ways a calendar server goes wrong."""

    def serve(self, path: str) -> None:
        query = self.path.partition("?")[2]
        if path == "/umleitung":
            self.redirect("/google.ics")
        elif path == "/weiter":
            self.redirect(query.removeprefix("to="))
        elif path == "/im-kreis":
            self.redirect("/im-kreis")
        elif path == "/kaputt":
            self.answer(500, b"Internal Server Error", "text/plain")
        elif path == "/langsam":
            self.trickle()
        elif path == "/riesig":
            self.stream(MAX_BYTES + 1)
        elif path == "/riesig-angesagt":
            self.send_response(200)
            self.send_header("Content-Length", str(MAX_BYTES + 1))
            self.end_headers()
            self.wfile.write(b"BEGIN:VCALENDAR\r\n")
        elif path == "/gepackt":
            self.answer(200, gzip.compress(GOOGLE), "text/calendar", {"Content-Encoding": "gzip"})
        elif path == "/bombe":
            self.answer(200, gzip.compress(b"\0" * (MAX_BYTES + 1)), "text/calendar", {"Content-Encoding": "gzip"})
        else:
            super().serve(path)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def trickle(self) -> None:
        """Headers at once, then a byte now and then, never done: only the overall deadline ends it."""
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        while not self.server.feeds.release.wait(0.05):
            try:
                self.wfile.write(b"B")
                self.wfile.flush()
            except OSError:
                return

    def stream(self, size: int) -> None:
        """No Content-Length: the size shows only while reading."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"X" * 65536
        try:
            for _ in range(size // len(chunk) + 1):
                self.wfile.write(chunk)
        except OSError:
            pass


@pytest.fixture(scope="module")
def server():
    feeds = FeedServer({"/google.ics": GOOGLE}, handler=Misbehaving)
    feeds.release = threading.Event()
    with feeds:
        yield feeds
        feeds.release.set()


@pytest.fixture
def loopback(server) -> Guard:
    """The test server may be fetched (it is on loopback); nothing else in a private range."""
    return Guard(allowed=frozenset({("127.0.0.1", server.port)}))


def _error(url: str, **options) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, **options)
    return caught.value


def test_conditional_get_answers_304_with_the_etag_of_the_last_fetch(server, loopback):
    first = fetch(server.url("/google.ics"), guard=loopback)
    assert first.body == GOOGLE and first.etag and first.last_modified
    again = fetch(server.url("/google.ics"), etag=first.etag, last_modified=first.last_modified, guard=loopback)
    assert again.unchanged and again.etag == first.etag
    headers = server.requests[-1][1]
    assert headers["If-None-Match"] == first.etag and headers["If-Modified-Since"] == first.last_modified
    changed = fetch(server.url("/google.ics"), etag='"veraltet"', guard=loopback)
    assert changed.body == GOOGLE


def test_a_redirect_is_followed(server, loopback):
    assert fetch(server.url("/umleitung"), guard=loopback).body == GOOGLE


def test_a_redirect_loop_ends_after_three(server, loopback):
    before = len(server.requests)
    assert _error(server.url("/im-kreis"), guard=loopback).as_dict() == {"code": "too_many_redirects", "limit": 3}
    assert len(server.requests) - before == 4  # the address and three redirects


@pytest.mark.parametrize(("path", "status"), [("/kaputt", 500), ("/gibt-es-nicht.ics", 404)])
def test_an_error_status_is_named(server, loopback, path, status):
    error = _error(server.url(path), guard=loopback)
    assert (error.code, error.params["status"]) == ("http_status", status)


def test_a_slow_server_is_given_up_after_the_timeout_however_it_trickles(server, loopback):
    started = time.monotonic()
    assert _error(server.url("/langsam"), guard=loopback, timeout=0.5).code == "timeout"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("path", ["/riesig", "/riesig-angesagt", "/bombe"])
def test_more_than_five_megabytes_is_refused(server, loopback, path):
    assert _error(server.url(path), guard=loopback).as_dict() == {"code": "too_large", "limit": MAX_BYTES}


def test_a_gzipped_answer_is_unpacked(server, loopback):
    assert fetch(server.url("/gepackt"), guard=loopback).body == GOOGLE


def test_a_closed_port_is_unreachable(loopback):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = _error(f"http://127.0.0.1:{port}/x.ics", guard=Guard(allow_private=True))
    assert error.as_dict() == {"code": "unreachable", "host": "127.0.0.1"}


def test_an_unknown_host_is_named():
    assert _error("https://kalender.praxis.invalid/basic.ics").as_dict() == {
        "code": "dns", "host": "kalender.praxis.invalid"}


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/google.ics",  # the test server itself, when it is not explicitly allowed
    "http://localhost:{port}/google.ics",  # a name that resolves to loopback
    "http://10.0.0.8/kalender.ics",
    "http://192.168.178.1/kalender.ics",
    "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "http://[::1]:{port}/google.ics",
    "http://[::ffff:127.0.0.1]:{port}/google.ics",
    "http://[fe80::1]/kalender.ics",
    "http://0.0.0.0:{port}/google.ics",
])
def test_private_loopback_and_link_local_addresses_are_refused_before_connecting(server, url):
    before = len(server.requests)
    error = _error(url.format(port=server.port))
    assert error.code == "private_address"
    assert len(server.requests) == before


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.8/", "http://[::1]:{port}/google.ics",
    "http://127.0.0.2:{port}/google.ics",
])
def test_a_redirect_to_an_internal_address_is_refused(server, loopback, target):
    before = len(server.requests)
    error = _error(server.url("/weiter?to=" + target.format(port=server.port)), guard=loopback)
    assert error.code == "private_address"
    assert len(server.requests) - before == 1  # the redirect only


@pytest.mark.parametrize("url", ["ftp://example.org/kalender.ics", "file:///etc/passwd"])
def test_only_http_and_https_are_fetched(url):
    assert _error(url).code == "scheme"


def test_a_redirect_to_a_file_is_refused(server, loopback):
    assert _error(server.url("/weiter?to=file:///etc/passwd"), guard=loopback).code == "scheme"


def test_development_may_allow_private_addresses(server):
    assert fetch(server.url("/google.ics"), guard=Guard(allow_private=True)).body == GOOGLE
