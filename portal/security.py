"""Request limits and security headers on every response."""

import io

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-src 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Largest request body per endpoint (413 beyond it, chunked bodies included); everything else
# gets REQUEST_BODY_LIMIT. Only the check-ins carry a signature image.
SMALL_BODY = 16 * 1024
BODY_LIMITS = {"auth.login": SMALL_BODY, "terminal.pair": SMALL_BODY, "terminal.identify": SMALL_BODY,
               "terminal.sign": 512 * 1024, "terminal.replay": 256 * 1024, "checkin.manual_check_in": 512 * 1024,
               "checkin.import_participants": 1536 * 1024,  # a CSV file, then its preview's copy
               "calendars.upload_view": 5 * 1024 * 1024 + 64 * 1024}  # an .ics file of up to 5 MB


BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _read_at_most(stream, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = stream.read(min(left, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def has_nul(values: MultiDict) -> bool:
    """Whether any name or any of the values of a form or query holds a NUL character."""
    return any("\x00" in key or any("\x00" in value for value in items) for key, items in values.lists())


def without_nul(value):
    """A JSON value from outside with every NUL character taken out of its strings (keys too), for
    text a provider sends that is kept as it is otherwise."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


def body_limit(endpoint: str | None, blueprint: str | None, default: int) -> int:
    if blueprint == "api":
        return SMALL_BODY
    return BODY_LIMITS.get(endpoint or "", default)


def init_app(app: Flask) -> None:
    def limit_the_body():
        """The body's limit for this endpoint, set before anything (CSRF, the rate limiter) reads it.
        A chunked body (no Content-Length) is read here, one byte past the limit at most: Werkzeug
        would cut it off silently at the limit and parse the rest as if nothing were missing."""
        limit = body_limit(request.endpoint, request.blueprint, app.config["REQUEST_BODY_LIMIT"])
        request.max_content_length = limit
        environ = request.environ
        if request.method in BODY_METHODS and request.content_length is None and environ.get("wsgi.input_terminated"):
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
                abort(413)
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))

    app.before_request_funcs.setdefault(None, []).insert(0, limit_the_body)

    @app.before_request
    def refuse_nul_bytes():
        """No database stores a NUL character in text (PostgreSQL refuses it): such input is bad input,
        in any name and in every value of a repeated one (``?q=a&q=%00``), not only the first."""
        if any(has_nul(values) for values in (request.args, request.form)):
            from .errors import render_error

            return render_error(400, _("Die Eingabe enthält ein unsichtbares Steuerzeichen (NUL), das nicht "
                                       "gespeichert werden kann. Bitte tippen Sie den Text neu ein, statt ihn "
                                       "einzufügen."))
        return None

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")  # the dev mail viewer's HTML part sets SAMEORIGIN
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
            headers.add("Vary", "HX-Request")
        return response
