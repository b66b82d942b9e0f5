"""Log lines as text or, with ``LOG_FORMAT=json``, one JSON object a line. Each carries the id of
the request it belongs to: taken from a proxy's ``X-Request-ID`` (when it looks like one) or made
here, sent back in the response, and handed to the jobs the request enqueues, so a worker's lines
about a code mail name the click that asked for it. No line carries a secret from a URL."""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from rq import get_current_job

from ..url_secrets import redact

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def current_request_id() -> str | None:
    """The id of the request being served, or of the request that enqueued the running job."""
    if has_request_context():
        return g.get("request_id")
    job = get_current_job()
    return job.meta.get("request_id") if job is not None else None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        job = get_current_job()
        record.job_id = job.id if job is not None else None
        return True


class RedactSecrets(logging.Filter):
    """Each line without the secrets a URL may carry (a link's token, a pairing code): the
    development server's request lines and Flask's "Exception on <path>" pass here too."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if getattr(record, "job_id", None):
            line["job_id"] = record.job_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def quiet_smtp_server() -> None:
    """aiosmtpd (the bounce intake, the development mail sink) logs every line of a message at
    DEBUG, a code mail a bounce quotes included: its logger stays at INFO, whatever LOG_LEVEL says."""
    logging.getLogger("mail.log").setLevel(logging.INFO)


def configure(log_format: str, level: str) -> None:
    """One handler on the root logger (RQ's worker then adds none of its own)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "portal_handler", False)]:
        root.removeHandler(old)
    handler.portal_handler = True
    root.addHandler(handler)
    root.setLevel(level.upper())


def init_app(app: Flask) -> None:
    if not app.testing:
        configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
        app.logger.handlers.clear()  # Flask's own handler would print each line twice
        app.logger.propagate = True

    @app.before_request
    def _request_id() -> None:
        offered = request.headers.get(HEADER, "")
        g.request_id = offered if _VALID.match(offered) else uuid.uuid4().hex

    @app.after_request
    def _send_request_id(response):
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response
