"""Errors to Sentry when ``SENTRY_DSN`` is set, from the web processes and the workers alike.

Nothing personal leaves: no request bodies, cookies, query strings or local variables are sent,
headers only from a short list, and every string of the event passes ``scrub``, which blanks
e-mail addresses, runs of digits as long as an access code, the secrets a URL may carry (a link's
token), and the values of keys that name a secret (code, password, token, …)."""

from __future__ import annotations

import re

import sentry_sdk
from flask import Flask

from ..url_secrets import redact
from ..version import VERSION
from .logs import current_request_id

SAFE_HEADERS = {"host", "user-agent", "accept", "accept-language", "content-type", "content-length",
                "x-request-id", "hx-request", "hx-target"}
SECRET_KEY_NAMES = re.compile(r"code|pass|token|secret|totp|otp|cookie|authorization|session|csrf|email|mail",
                              re.IGNORECASE)
EMAIL = re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+\.[A-Za-z]{2,}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)?")
REMOVED = "[entfernt]"
CONTENT_PARTS = ("message", "logentry", "extra", "tags", "breadcrumbs", "request")


def scrubber(code_length: int):
    digits = re.compile(rf"(?<!\d)\d{{{code_length},}}(?!\d)")

    def scrub(value):
        if isinstance(value, dict):
            return {k: (REMOVED if isinstance(k, str) and SECRET_KEY_NAMES.search(k) and isinstance(v, str)
                        else scrub(v)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [scrub(item) for item in value]
        if isinstance(value, str) and not TIMESTAMP.fullmatch(value):
            return digits.sub("[Ziffern]", EMAIL.sub("[E-Mail]", redact(value)))
        return value

    return scrub


def before_send_for(code_length: int):
    scrub = scrubber(code_length)

    def before_send(event: dict, _hint) -> dict:
        request = event.get("request")
        if isinstance(request, dict):
            headers = request.get("headers") or {}
            event["request"] = {
                "method": request.get("method"),
                "url": redact((request.get("url") or "").split("?")[0]),
                "headers": {k: v for k, v in headers.items() if k.lower() in SAFE_HEADERS},
            }
        event.pop("user", None)
        for exception in (event.get("exception") or {}).get("values") or []:
            exception["value"] = scrub(exception.get("value"))
            for frame in (exception.get("stacktrace") or {}).get("frames") or []:
                frame.pop("vars", None)
                for source in ("pre_context", "context_line", "post_context"):
                    if source in frame:
                        frame[source] = scrub(frame[source])
        for part in CONTENT_PARTS:  # not the structure: ids and timestamps stay as they are
            if part in event:
                event[part] = scrub(event[part])
        contexts = event.get("contexts") or {}
        for name in [name for name in contexts if name != "trace"]:
            contexts[name] = scrub(contexts[name])
        return event

    return before_send


def init_app(app: Flask) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    before_send = before_send_for(app.config["ACCESS_CODE_LENGTH"])
    scrub = scrubber(app.config["ACCESS_CODE_LENGTH"])
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT") or app.config["PORTAL_ENV"],
        release=f"praxisportal@{VERSION}",
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,
        before_breadcrumb=lambda crumb, _hint: scrub(crumb),
    )

    @app.before_request
    def _tag_request_id() -> None:
        sentry_sdk.get_isolation_scope().set_tag("request_id", current_request_id())
