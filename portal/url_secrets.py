"""Secrets that arrive in a URL: the link of an invitation or a password reset, the pairing code a
terminal's QR code holds. The first request takes the secret into this browser's session and
sends the browser on to the same page without it (``take``), so the address bar, the history, a
Referer and the log line of every later request show a clean address.

The log lines of that first request pass ``redact``: the portal's log handler does it for its own
lines and the development server's (monitoring/logs.py), gunicorn's logger for its access log
(gunicorn.conf.py), and Sentry for the address of an error (monitoring/sentry.py)."""

from __future__ import annotations

import re

from flask import redirect, session, url_for

_KEY = "url_secret:"
REDACTED = "[entfernt]"
# the value of a query parameter that names a secret, and any path segment as long as a token
_PARAMETER = re.compile(r"(?:^|(?<=[?&;]))((?:code|token)=)[^&;#\s\"']+", re.IGNORECASE)
_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_-]{32,}(?=[/?#\s\"']|$)")


def take(name: str, value: str, endpoint: str, **values):
    """Keep ``value`` in this browser's session under ``name`` and send the browser on to
    ``endpoint``, whose address carries no secret."""
    session[_KEY + name] = value
    return redirect(url_for(endpoint, **values), 303)


def held(name: str) -> str:
    """The secret this browser brought in a URL under ``name`` ("" when none)."""
    value = session.get(_KEY + name)
    return value if isinstance(value, str) else ""


def pop(name: str) -> str:
    """The secret under ``name``, forgotten from the session at once ("" when none)."""
    value = session.pop(_KEY + name, None)
    return value if isinstance(value, str) else ""


def redact(text: str) -> str:
    """``text`` (a log line, a URL) without the secrets an address may carry: the value of a
    ``code=`` or ``token=`` parameter, and every path segment of 32 or more token characters."""
    return _SEGMENT.sub(REDACTED, _PARAMETER.sub(rf"\1{REDACTED}", text))
