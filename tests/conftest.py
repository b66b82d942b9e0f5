"""Fixtures: a real Redis, a migrated database (SQLite, or PostgreSQL via TEST_DATABASE_URL),
an app per test, a test client, and a small world of two practice groups."""

from __future__ import annotations

import importlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import configuration
from rq import cron
from werkzeug.serving import make_server

from portal import create_app
from portal.devtools import schema
from portal.devtools.embedded_redis import EmbeddedRedis
from portal.devtools.smtp_sink import SmtpSink
from portal.extensions import db
from portal.models import Role
from portal.timeutil import clock

from . import factories as f
from .helpers import login, signed_in

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis: TEST_REDIS_URL when given, else a server started for this run."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    with EmbeddedRedis() as server:
        yield server.url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("TEST_DATABASE_URL") or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "portal.db")


@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory):
    """A real SMTP server (aiosmtpd) on loopback that keeps what it accepts."""
    sink = SmtpSink(tmp_path_factory.mktemp("mail")).start()
    yield sink
    sink.stop()


@pytest.fixture(autouse=True)
def _fresh_clock():
    yield
    clock.set(None)


@pytest.fixture(scope="session", autouse=True)
def _nothing_into_the_checkout(tmp_path_factory):
    """A run writes nothing into the checkout: the therapist databases go to this run's temporary
    folder, for every app the tests make and, through the environment, for the workers they start;
    so does Hypothesis' own folder (else .hypothesis/ in the working directory)."""
    configuration.set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("THERAPIST_DB_DIR", str(tmp_path_factory.mktemp("therapist-dbs")))
        yield
    configuration.set_hypothesis_home_dir(None)


def make_app(database_url: str, redis_url: str, **overrides):
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url}
    config.update(overrides)
    return create_app("testing", config)


@pytest.fixture(scope="session")
def migrated(database_url, redis_url):
    """Drop whatever a previous run left and build the schema through the migrations."""
    schema.rebuild(make_app(database_url, redis_url))
    return True


def clean_database(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def app(migrated, database_url, redis_url, smtp_sink):
    for old in smtp_sink.directory.glob("*.eml"):
        old.unlink()
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port)
    app.redis.flushdb()
    yield app
    clean_database(app)


@pytest.fixture
def live_server(app, database_url, redis_url, request):
    """The portal with CSRF on, served on a free loopback port for the length of one test; a test
    marked ``@pytest.mark.portal_config(KEY=value)`` gets those settings too."""
    marker = request.node.get_closest_marker("portal_config")
    served = make_app(database_url, redis_url, WTF_CSRF_ENABLED=True, **(marker.kwargs if marker else {}))
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class World:
    group_a: int
    group_b: int
    practice_a1: int
    practice_a2: int
    practice_b: int
    therapist_a: int
    therapist_b: int
    chef_a: str
    therapeut_a: str
    chef_b: str
    support: str


@pytest.fixture
def world(app) -> World:
    """Two licensed groups with a practice, a therapist and users each, plus one support user."""
    with app.app_context():
        a, b = f.group("Praxisgruppe Nord"), f.group("Praxisgruppe Süd")
        pa1, pa2, pb = f.practice(a, "Praxis am Markt"), f.practice(a, "Praxis am Dom"), f.practice(b, "Praxis Süd")
        ta = f.therapist(a, "Anna", "Schmidt", "anna.schmidt@praxis.example", practices=[pa1])
        tb = f.therapist(b, "Bernd", "Berger", "bernd@sued.example", practices=[pb])
        users = {
            "chef_a": f.user(a, Role.CHEF, "chef@nord.example"),
            "therapeut_a": f.user(a, Role.THERAPEUT, "empfang@nord.example"),
            "chef_b": f.user(b, Role.CHEF, "chef@sued.example"),
            "support": f.user(None, Role.SUPPORT, "support@hersteller.example"),
        }
        db.session.commit()
        return World(a.id, b.id, pa1.id, pa2.id, pb.id, ta.id, tb.id, **{k: u.email for k, u in users.items()})


@pytest.fixture
def chef(app, world):
    """A client of the first group's chef, signed in."""
    return signed_in(app, world.chef_a)


@pytest.fixture
def as_user(client):
    """``as_user(email)`` signs the test client in and returns it."""

    def sign_in(email: str):
        login(client, email)
        return client

    return sign_in


@pytest.fixture
def cron_entries():
    """The entries of portal/cron_config.py; the process's time zone is restored afterwards
    (the config pins the cron process to Europe/Berlin)."""
    saved = os.environ.get("TZ")
    cron._job_data_registry.clear()
    import portal.cron_config as config  # here, not at the top: importing it sets the process's time zone

    importlib.reload(config)
    yield {entry["name"]: entry for entry in cron._job_data_registry}
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()
