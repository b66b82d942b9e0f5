"""An HTTP server on loopback that serves calendar files as a calendar provider does: an ``ETag``
and a ``Last-Modified`` with each, and ``304 Not Modified`` when the client already has it.
``bin/run`` serves the demo practice's calendar with it; the tests serve their sample exports and
add misbehaving addresses through a handler of their own."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FeedHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        self.server.feeds.requests.append((self.path, dict(self.headers)))
        self.serve(self.path.split("?", 1)[0])

    def serve(self, path: str) -> None:
        """Answer one GET (a test's handler answers some paths its own way)."""
        feeds = self.server.feeds
        if path not in feeds.files:
            self.answer(404, b"Not found", "text/plain")
            return
        content = feeds.files[path]
        body = content() if callable(content) else content
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.answer(200, body, "text/calendar; charset=utf-8", {"ETag": etag, "Last-Modified": feeds.last_modified})

    def answer(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 - the standard library's signature
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    feeds: FeedServer


class FeedServer:
    """``files`` maps a path to the bytes served there (or a function returning them)."""

    def __init__(self, files: dict[str, bytes | Callable[[], bytes]] | None = None,
                 handler: type[FeedHandler] = FeedHandler, host: str = "127.0.0.1") -> None:
        self.files = dict(files or {})
        self.requests: list[tuple[str, dict]] = []  # (path, headers) of every request, for the tests
        self.last_modified = formatdate(usegmt=True)
        self._server = _Server((host, 0), handler)
        self._server.feeds = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
