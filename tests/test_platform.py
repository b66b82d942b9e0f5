"""Configuration, security headers, CSRF, health, the audit log's guard, migrations, CLI, languages."""

import re
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from portal import create_app, jobs
from portal.audit.models import AuditLogIsAppendOnly
from portal.audit.services import record
from portal.devtools.demo import GROUP_NAME
from portal.extensions import db
from portal.i18n import datetime_filter
from portal.models import AuditEvent, PracticeGroup, Therapist, User
from portal.support.services import SEARCH_INDEX_OBJECTS
from portal.tenancy import valid_ik
from portal.therapists.services import update_therapist

from . import factories as f
from .conftest import make_app
from .helpers import csrf_token_from, login

STRONG_SECRET = "x" * 48
PORTAL_URL = "https://portal.example"


def test_production_refuses_to_start_without_a_real_secret_key_and_its_address(monkeypatch, database_url,
                                                                                redis_url):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTAL_URL", raising=False)
    for secret in (None, "kurz", "dev-only-not-secret"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app("production", {"SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": database_url,
                                      "PORTAL_URL": PORTAL_URL})
    for address in (None, "", "http://portal.example"):
        with pytest.raises(RuntimeError, match="PORTAL_URL"):
            create_app("production", {"SECRET_KEY": STRONG_SECRET, "SQLALCHEMY_DATABASE_URI": database_url,
                                      "PORTAL_URL": address})
    create_app("production", {"SECRET_KEY": STRONG_SECRET, "SQLALCHEMY_DATABASE_URI": database_url,
                              "PORTAL_URL": PORTAL_URL})


def test_production_cookies_are_secure_http_only_and_same_site(migrated, database_url, redis_url, world):
    app = create_app("production", {"SECRET_KEY": STRONG_SECRET, "SQLALCHEMY_DATABASE_URI": database_url,
                                    "PORTAL_URL": PORTAL_URL, "REDIS_URL": redis_url,
                                    "RATELIMIT_STORAGE_URI": redis_url})
    client = app.test_client()
    page = client.get("/anmelden", base_url="https://portal.example").get_data(as_text=True)
    response = client.post("/anmelden", base_url="https://portal.example",
                           headers={"Referer": "https://portal.example/anmelden"}, data={
        "email": world.chef_a, "password": f.PASSWORD, "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2  # the session, and this browser known for the account
    assert all("Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie for cookie in cookies)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_csrf_is_enforced_with_the_production_setting(migrated, database_url, redis_url, world):
    app = make_app(database_url, redis_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD}).status_code == 400
    token = csrf_token_from(client.get("/anmelden").get_data(as_text=True))
    assert client.post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD,
                                          "csrf_token": token}).status_code == 302
    page = client.get("/therapeuten").get_data(as_text=True)
    token = csrf_token_from(page)
    data = {"first_name": "Ohne", "last_name": "Token"}
    refused = client.post("/therapeuten", data=data, headers={"HX-Request": "true"})
    assert refused.status_code == 400 and "Das Formular ist abgelaufen" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Therapist.id)).where(Therapist.last_name == "Token")) == 0
    accepted = client.post("/therapeuten", data=data, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert accepted.status_code == 200
    assert client.post(f"/therapeuten/{world.therapist_a}/termine/1/entfernen").status_code in (400, 404)


def test_every_page_carries_the_security_headers(client, world):
    response = client.get("/anmelden")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)  # no inline script anywhere


def test_static_files_are_vendored_not_from_a_cdn(client):
    html = client.get("/anmelden").get_data(as_text=True)
    assert re.findall(r'src="([^"]+)"', html) == ["/static/vendor/htmx-2.0.11.min.js", "/static/app.js",
                                                   "/static/unsaved.js", "/static/passkeys.js"]
    assert client.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200
    assert "https://" not in "".join(re.findall(r'(?:href|src)="([^"]+)"', html))


def test_sign_in_still_works_when_redis_is_down(migrated, database_url, world):
    app = make_app(database_url, "redis://127.0.0.1:1/0")
    response = app.test_client().post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD})
    assert response.status_code == 302


def test_audit_entries_can_be_neither_changed_nor_deleted(app, world):
    with app.app_context():
        record("test.event", group_id=world.group_a)
        db.session.commit()
        entry = db.session.scalars(select(AuditEvent)).one()
        entry.action = "verfälscht"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(AuditEvent)).one())
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalars(select(AuditEvent.action)).all() == ["test.event"]


def test_audit_entry_is_rolled_back_with_its_change(app, world):
    with app.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        update_therapist(t, {"first_name": "X", "last_name": t.last_name, "email": t.email,
                             "app_enabled": True, "practice_ids": []})
        db.session.rollback()
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_the_migrations_build_exactly_the_models_schema(app):
    def include_name(name, type_, parent_names):  # the search index lives outside the models
        return not (name or "").startswith(tuple(SEARCH_INDEX_OBJECTS))

    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        assert compare_metadata(context, db.metadata) == []


def test_a_job_carries_ids_and_nothing_else(app):
    """The spec's rule for every job of the portal, kept where all of them are enqueued."""
    with app.app_context():
        for args in (("anna.schmidt@praxis.example",), (1, "123456"), (True,), (1.5,)):
            with pytest.raises(TypeError, match="nur Ids"):
                jobs.enqueue("portal.codes.jobs.send_code", *args, job_id="mit-daten")
            with pytest.raises(TypeError, match="nur Ids"):
                jobs.after_commit("portal.codes.jobs.send_code", *args, job_id="mit-daten")
        assert jobs.enqueue("portal.codes.jobs.send_code", 7, job_id="nur-id")
    assert app.task_queue.get_job_ids() == ["nur-id"]


def test_create_user_cli_creates_the_group_when_missing(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "Chefin@Neu.example", "--role", "chef", "--group", "Neue Gruppe",
                                 "--password", "ein-langes-passwort"])
    assert result.exit_code == 0, result.output
    assert "Praxisgruppe „Neue Gruppe“ angelegt." in result.output
    result = runner.invoke(args=["create-user", "zweite@neu.example", "--role", "therapeut", "--group",
                                 "Neue Gruppe", "--password", "ein-langes-passwort"])
    assert result.exit_code == 0 and "Praxisgruppe" not in result.output  # the group exists now
    with app.app_context():
        assert db.session.scalar(select(func.count(PracticeGroup.id))) == 1
        user = db.session.scalar(select(User).where(User.email == "chefin@neu.example"))
        assert user.role == "chef" and user.check_password("ein-langes-passwort")
    fresh = app.test_client()
    assert fresh.post("/anmelden", data={"email": "chefin@neu.example", "password": "ein-langes-passwort"}
                      ).status_code == 302


@pytest.mark.parametrize("args,message", [
    (["kaputt", "--role", "chef", "--group", "G", "--password", "ein-langes-passwort"], "gültige E-Mail"),
    (["a@b.example", "--role", "chef", "--password", "ein-langes-passwort"], "--group"),
    (["a@b.example", "--role", "chef", "--group", "G", "--password", "kurz"], "mindestens 12"),
    (["a@b.example", "--role", "boss", "--group", "G", "--password", "ein-langes-passwort"], "boss"),
])
def test_create_user_cli_refuses_bad_input_and_changes_nothing(app, args, message):
    result = app.test_cli_runner().invoke(args=["create-user", *args])
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0
        assert db.session.scalar(select(func.count(PracticeGroup.id))) == 0


def test_create_support_user_needs_no_group(app):
    result = app.test_cli_runner().invoke(args=["create-user", "hilfe@hersteller.example", "--role", "support",
                                                "--password", "ein-langes-passwort"])
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(User.group_id).where(User.email == "hilfe@hersteller.example")) is None


def test_demo_data_is_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    with app.app_context():
        counts = [db.session.scalar(select(func.count(m.id))) for m in (PracticeGroup, Therapist, User)]
        group = db.session.scalar(select(PracticeGroup).where(PracticeGroup.name == GROUP_NAME))
        assert len(group.practices) == 2 and counts[1] == 15 and counts[2] == 3
        assert all(valid_ik(practice.ik) and len(practice.postcode) == 5 for practice in group.practices)
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0 and "chef@sonnenhof.example" in result.output
    with app.app_context():
        assert [db.session.scalar(select(func.count(m.id))) for m in (PracticeGroup, Therapist, User)] == counts


def test_english_catalogue_and_language_switch(client, world):
    login(client, world.chef_a)
    assert ">Therapeuten</h1>" in client.get("/therapeuten").get_data(as_text=True)
    client.post("/sprache", data={"lang": "en", "next": "/therapeuten"})
    html = client.get("/therapeuten").get_data(as_text=True)
    assert '<html lang="en">' in html and ">Therapists</h1>" in html
    english_browser = client.application.test_client()
    page = english_browser.get("/anmelden", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert ">Sign in</h1>" in page


def test_times_are_shown_in_berlin_time(app):
    with app.test_request_context("/"):
        assert datetime_filter(datetime(2026, 11, 26, 13, 47, tzinfo=UTC)) == "26.11.2026, 14:47 Uhr"
        assert datetime_filter(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "01.07.2026, 14:00 Uhr"


def test_settings_are_read_from_the_environment_when_the_app_is_created(monkeypatch, database_url):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/3")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "")  # empty counts as unset: development's own key applies
    app = create_app("development")
    assert app.config["REDIS_URL"] == "redis://127.0.0.1:6399/3"
    assert app.config["MAIL_PORT"] == 2525 and app.config["MAIL_USE_TLS"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url
    assert app.config["SECRET_KEY"] == "dev-only-not-secret"


def test_nul_characters_in_input_are_refused_as_bad_input(as_user, world, client):
    response = as_user(world.chef_a).post("/therapeuten", data={"first_name": "A\x00", "last_name": "B"})
    assert response.status_code == 400 and "unsichtbares Steuerzeichen (NUL)" in response.get_data(as_text=True)
    api = client.post("/api/app/v1/session", json={"email": "\x00", "code": "1", "device_name": "x",
                                                   "platform": "ios"})
    assert api.status_code == 400 and api.get_json()["error"] == "invalid_request"
