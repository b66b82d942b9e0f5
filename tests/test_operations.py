"""What operators rely on: the probes, the metrics behind their token, one request id across the
web and worker logs, Sentry without personal data, and a pool that survives dropped connections."""

from __future__ import annotations

import gzip
import io
import json
import logging
import re
import runpy
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import sentry_sdk
from gunicorn.config import Config as GunicornConfig
from sqlalchemy import text
from werkzeug.serving import make_server

from portal import create_app
from portal.devtools import run
from portal.devtools.embedded_redis import free_port
from portal.extensions import db
from portal.monitoring.logs import JsonFormatter, RequestIdFilter

from .conftest import make_app
from .helpers import EMAIL, activate, run_jobs

ROOT = Path(__file__).resolve().parents[1]
DOWN_REDIS = "redis://127.0.0.1:1/0"
ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")  # the development server colours its request lines
TOKEN = "t0ken-for-the-scraper"


def test_healthz_only_says_the_process_lives(migrated, database_url):
    app = make_app(database_url, DOWN_REDIS, RATELIMIT_STORAGE_URI="memory://")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_database_redis_and_queue_are_fine(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json() == {"status": "ready"}


def test_readyz_names_redis_when_it_is_down(migrated, database_url):
    app = make_app(database_url, DOWN_REDIS, RATELIMIT_STORAGE_URI="memory://")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "failures": {"redis": "Redis antwortet nicht."}}


def test_readyz_names_the_database_when_it_is_down(redis_url, tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/missing/dir/portal.db", redis_url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and set(response.get_json()["failures"]) == {"database"}


def test_readyz_fails_when_the_oldest_waiting_job_is_too_old(app, client):
    app.config["READY_MAX_JOB_AGE"] = 1
    app.task_queue.enqueue("portal.codes.jobs.sweep", job_id="waits")
    assert client.get("/readyz").status_code == 200  # young
    time.sleep(1.3)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "älteste wartende Auftrag wartet seit 1 s (Grenze 1 s)" in response.get_json()["failures"]["queue"]
    run_jobs(app)
    assert client.get("/readyz").status_code == 200  # the workers caught up


def test_metrics_are_off_without_a_configured_token(client):
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


def test_metrics_need_the_bearer_token(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def _scrape(client) -> dict[str, float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    samples = {}
    for line in response.get_data(as_text=True).splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_metrics_count_queues_mails_sign_ins_and_latency(app, client, world, chef, smtp_sink):
    app.config["METRICS_TOKEN"] = TOKEN
    before = _scrape(client)
    activate(app, chef, world.therapist_a)
    waiting = _scrape(client)
    assert waiting['portal_jobs_waiting{queue="portal"}'] >= 2  # the code mail and the database
    assert waiting['portal_jobs_oldest_age_seconds{queue="portal"}'] >= 0
    assert waiting['portal_mails{kind="code",state="pending"}'] == 1
    run_jobs(app)
    wrong = client.post("/api/app/v1/session", json={"email": EMAIL, "code": "000000", "device_name": "iPhone",
                                                     "platform": "ios"})
    assert wrong.status_code == 401
    after = _scrape(client)
    assert after['portal_jobs_waiting{queue="portal"}'] == 0
    assert after['portal_jobs_oldest_age_seconds{queue="portal"}'] == 0
    assert after['portal_mails{kind="code",state="accepted"}'] == 1
    key = 'portal_app_sign_ins_total{outcome="invalid_code"}'
    assert after[key] == before.get(key, 0) + 1
    assert after['portal_request_duration_seconds_count{endpoint="therapists.update"}'] >= 1
    assert after['portal_up{part="database"}'] == 1 and after['portal_up{part="redis"}'] == 1


def test_metrics_still_answer_with_redis_down(migrated, database_url):
    app = make_app(database_url, DOWN_REDIS, RATELIMIT_STORAGE_URI="memory://", METRICS_TOKEN=TOKEN)
    samples = _scrape(app.test_client())
    assert samples['portal_up{part="redis"}'] == 0 and samples['portal_up{part="database"}'] == 1
    assert not any(name.startswith("portal_jobs_") for name in samples)


@pytest.fixture
def log_lines():
    """The portal's log records as the JSON lines LOG_FORMAT=json writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def test_the_worker_logs_under_the_request_id_of_the_click_that_asked(app, world, chef, smtp_sink, log_lines):
    chef.environ_base["HTTP_X_REQUEST_ID"] = "req-from-proxy-1"  # as a proxy in front would set it
    assert activate(app, chef, world.therapist_a).headers["X-Request-ID"] == "req-from-proxy-1"
    run_jobs(app)
    [accepted] = [line for line in log_lines() if "angenommen" in line["message"]]
    assert accepted["request_id"] == "req-from-proxy-1" and accepted["level"] == "INFO"
    assert accepted["job_id"].startswith("code-request-")


def test_a_request_without_a_usable_id_gets_a_new_one(client):
    made = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["X-Request-ID"] != made


class _Ingest(BaseHTTPRequestHandler):
    """A Sentry server as far as the SDK sees it: keeps each envelope it is sent."""

    envelopes: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def explode(code: str) -> None:
    """A job that fails with the code it carries in its message."""
    raise RuntimeError(f"Zustellung an anna.schmidt@praxis.example mit Code {code} gescheitert")


@pytest.fixture
def sentry_ingest():
    _Ingest.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Ingest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://publickey@127.0.0.1:{server.server_port}/1", _Ingest.envelopes
    sentry_sdk.get_client().close(timeout=5)
    sentry_sdk.init()  # no DSN: the SDK is off again for the other tests
    server.shutdown()


def _events(envelopes: list[bytes]) -> list[dict]:
    events = []
    for envelope in envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_errors_reach_sentry_without_personal_data_or_codes(migrated, database_url, redis_url, sentry_ingest):
    dsn, envelopes = sentry_ingest
    app = make_app(database_url, redis_url, SENTRY_DSN=dsn, PROPAGATE_EXCEPTIONS=False)
    web_code, job_code, bearer, cookie = (f"{secrets.randbelow(10 ** 6):06d}" for _ in range(4))
    link_token = secrets.token_urlsafe(32)  # as a link from a mail carries it

    @app.get("/kaputt/<token>")
    def broken(token):
        raise ValueError(f"Code {web_code} für anna.schmidt@praxis.example passt nicht")

    client = app.test_client()
    client.set_cookie("session", f"sitzung-{cookie}")
    assert client.get(f"/kaputt/{link_token}?email=anna.schmidt@praxis.example",
                      headers={"Authorization": f"Bearer {bearer}"}).status_code == 500
    app.task_queue.enqueue(explode, job_code)
    run_jobs(app)
    sentry_sdk.get_client().flush(timeout=5)
    events = _events(envelopes)
    raw = b"".join(envelopes).decode()
    values = [e["exception"]["values"][-1]["value"] for e in events]
    assert "Code [Ziffern] für [E-Mail] passt nicht" in values
    assert "Zustellung an [E-Mail] mit Code [Ziffern] gescheitert" in values
    for secret in (web_code, job_code, bearer, cookie, "anna.schmidt", link_token):
        assert secret not in raw, secret
    web = next(e for e in events if "passt nicht" in e["exception"]["values"][-1]["value"])
    assert web["request"]["url"].endswith("/kaputt/[entfernt]") and "query_string" not in web["request"]
    assert "request_id" in web["tags"]


def test_a_dropped_connection_is_replaced_before_the_request_sees_it(migrated, database_url, redis_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite keeps no connection to drop")
    app = make_app(database_url, redis_url, DB_PING_AFTER=0.2)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    with app.app_context():
        with db.engine.connect() as other:  # another connection ends the pooled one, as a server restart would
            other.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                               "AND application_name = ''"))
            other.commit()
    time.sleep(0.3)
    assert client.get("/readyz").status_code == 200


def test_metrics_count_answers_by_status_class_an_unhandled_error_too(migrated, database_url, redis_url):
    app = make_app(database_url, redis_url, PROPAGATE_EXCEPTIONS=False, METRICS_TOKEN=TOKEN)

    @app.get("/kaputt")
    def broken():
        raise ValueError("kaputt")

    client = app.test_client()
    before = _scrape(client)
    assert client.get("/kaputt").status_code == 500
    assert client.get("/gibt-es-nicht").status_code == 404
    after = _scrape(client)
    for status in ("5xx", "4xx"):
        key = f'portal_responses_total{{status="{status}"}}'
        assert after[key] == before.get(key, 0) + 1, status


# --- the logs of the development server and of gunicorn ---------------------------------------------

@pytest.fixture
def dev_server(tmp_path, redis_url, monkeypatch):
    """What bin/run serves: a development app (its logging set up as outside the tests), migrated
    in this process the way bin/run does it, behind Werkzeug's development server, with two routes
    that fail. Yields its address and a function returning what it wrote to stderr."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_disabled = {logger: logger.disabled for logger in logging.root.manager.loggerDict.values()
                      if isinstance(logger, logging.Logger)}
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "dev.db"),
                                     "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url})

    def broken(token=None):
        raise ZeroDivisionError("absichtlich kaputt")

    app.add_url_rule("/kaputt", "kaputt", broken)
    app.add_url_rule("/kaputt/<token>", "kaputt_mit_token", broken)
    run.migrate_database(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", lambda: ANSI_STYLE.sub("", stream.getvalue())
    server.shutdown()
    thread.join(timeout=5)
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    for logger, disabled in saved_disabled.items():
        logger.disabled = disabled
    with app.app_context():
        db.engine.dispose()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_unhandled_error_in_the_dev_server_is_logged_with_its_traceback(dev_server):
    address, log = dev_server
    assert _status(f"{address}/kaputt") == 500
    text = log()
    assert "Exception on /kaputt [GET]" in text and "Traceback (most recent call last)" in text
    assert "ZeroDivisionError: absichtlich kaputt" in text and '"GET /kaputt HTTP/1.1" 500' in text
    assert not logging.getLogger("portal").disabled and not logging.getLogger("rq.worker").disabled


def test_the_dev_servers_log_leaves_out_the_secrets_urls_carry(dev_server):
    address, log = dev_server
    token = secrets.token_urlsafe(32)
    for path in (f"/einladung/{token}", f"/passwort/neu/{token}", "/terminal/koppeln?code=ABCD2345",
                 f"/kaputt/{token}"):
        _status(address + path)
    text = log()
    assert token not in text and "ABCD2345" not in text
    assert '"GET /einladung/[entfernt] HTTP/1.1" 404' in text and "/terminal/koppeln?code=[entfernt]" in text
    assert "Exception on /kaputt/[entfernt] [GET]" in text


def test_gunicorns_access_log_leaves_out_the_secrets_urls_carry(tmp_path, monkeypatch):
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "1")
    config = GunicornConfig()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = config.logger_class(config)
    token = secrets.token_urlsafe(32)
    for path, query in ((f"/einladung/{token}", ""), ("/terminal/koppeln", "code=ABCD2345")):
        uri = path + (f"?{query}" if query else "")
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": uri, "PATH_INFO": path, "QUERY_STRING": query,
                   "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "192.0.2.1", "HTTP_USER_AGENT": "Firefox",
                   "HTTP_REFERER": f"https://portal.example{uri}"}
        logger.access(SimpleNamespace(status="303 See Other", sent=0, headers=[]),
                      SimpleNamespace(headers=[("Referer", environ["HTTP_REFERER"])]), environ, timedelta(0))
    for log in (logger.access_log, logger.error_log):
        for handler in log.handlers[:]:
            log.removeHandler(handler)
            handler.close()
    text = (tmp_path / "access.log").read_text()
    assert '"GET /einladung/[entfernt] HTTP/1.1" 303' in text and "GET /terminal/koppeln?code=[entfernt]" in text
    assert token not in text and "ABCD2345" not in text
