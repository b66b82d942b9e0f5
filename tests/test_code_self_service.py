""""Code anfordern" in the app (POST /api/app/v1/code): the same answer for every address, a code
only for an address that belongs to exactly one therapist a code can serve, the per-address limits,
the per-client API limit, and what the practice sees of it. Real Redis, aiosmtpd, RQ SimpleWorker."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import CodeRequest, Therapist
from portal.timeutil import clock

from . import factories as f
from .conftest import make_app
from .helpers import EMAIL, audit_entries, code_in, run_jobs, signed_in

T0 = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
URL = "/api/app/v1/code"


@pytest.fixture
def quick(app):
    """The answer's fixed duration is tested once below; the other tests need not wait for it."""
    app.config["APP_CODE_ANSWER_SECONDS"] = 0
    return app


@pytest.fixture
def anna(app, world):
    """Anna Schmidt with "App aktivieren" set."""
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = True
        db.session.commit()
    return world.therapist_a


def ask(client, email):
    response = client.post(URL, json={"email": email})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def requests(app):
    with app.app_context():
        return db.session.scalars(select(CodeRequest).order_by(CodeRequest.id)).all()


def test_every_address_gets_the_same_answer_and_only_a_servable_one_gets_a_code(quick, client, world, anna,
                                                                                 smtp_sink):
    with quick.app_context():
        a = db.session.get(Therapist, anna).group
        f.therapist(a, "Ines", "Inaktiv", "inaktiv@praxis.example", app_enabled=False)
        f.therapist(a, "Rita", "Refused", "abgelehnt@praxis.example", app_enabled=True).email_refused = "550 5.1.1"
        unlicensed = f.group("Ohne Lizenz", licensed=False)
        f.therapist(unlicensed, "Lars", "Lizenzlos", "lizenzlos@praxis.example", app_enabled=True)
        for group in (a, f.group("Zweite Gruppe")):  # one address, two therapists: nobody can tell which
            f.therapist(group, "Doppel", "Ganger", "doppelt@praxis.example", app_enabled=True)
        db.session.commit()

    answers = [ask(client, email) for email in ("niemand@praxis.example", "inaktiv@praxis.example",
                                                "abgelehnt@praxis.example", "lizenzlos@praxis.example",
                                                "doppelt@praxis.example", " Anna.Schmidt@Praxis.example ")]
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["status"] == "accepted" and answers[0]["help"].endswith("/hilfe/code-kommt-nicht-an")
    assert "@" not in answers[0]["message"]  # the answer never repeats the address
    run_jobs(quick)
    mails = smtp_sink.messages()
    assert [mail["To"] for mail in mails] == [EMAIL]
    assert len(code_in(mails[0])) == 6
    assert "/app/" in mails[0].get_body(("plain",)).get_content()
    assert [(r.therapist_id, r.by_therapist) for r in requests(quick)] == [(anna, True)]


def test_one_code_per_minute_and_five_per_hour_per_address_and_nothing_over_a_limit(quick, client, anna, smtp_sink):
    def at(minutes, email=EMAIL):
        clock.set(T0 + timedelta(minutes=minutes))
        ask(client, email)
        run_jobs(quick)
        return len(smtp_sink.messages())

    assert at(0) == 1
    assert at(0.5) == 1  # within the minute (and the arrow's 30 seconds)
    assert at(0.9, "ANNA.SCHMIDT@praxis.example") == 1  # the same address, however written
    assert [at(m) for m in (1.1, 2.2, 3.3, 4.4)] == [2, 3, 4, 5]
    assert at(20) == 5 and at(59) == 5  # five in the hour
    assert at(60.5) == 6  # the first one left the hour
    assert len(requests(quick)) == 6


def test_the_practice_sees_a_request_by_the_therapist(quick, client, world, anna, smtp_sink):
    clock.set(T0)
    ask(client, EMAIL)
    run_jobs(quick)
    (entry,) = audit_entries(quick, "code.requested_by_therapist")
    assert entry[1] == "App" and entry[3] == world.group_a and entry[4]["email"] == EMAIL
    chef = signed_in(quick, world.chef_a)
    listing = chef.get("/therapeuten").get_data(as_text=True)
    assert "Zuletzt gesendet am 26.11.2026 um 14:00 Uhr (vom Therapeuten angefordert)" in listing
    assert "vom Therapeuten angefordert" in chef.get(f"/mail-protokoll?therapist={anna}").get_data(as_text=True)
    log = chef.get("/protokoll").get_data(as_text=True)
    assert "Zugangscode vom Therapeuten angefordert" in log


def test_a_request_of_the_practice_keeps_the_arrow_s_words(quick, world, anna, smtp_sink):
    clock.set(T0)
    chef = signed_in(quick, world.chef_a)
    chef.post(f"/therapeuten/{anna}/zugangscode", headers={"HX-Request": "true"})
    run_jobs(quick)
    listing = chef.get("/therapeuten").get_data(as_text=True)
    assert "Zuletzt gesendet am 26.11.2026 um 14:00 Uhr" in listing and "vom Therapeuten" not in listing


def test_a_request_needs_an_address(quick, client):
    for body in ({}, {"email": "kein-at-zeichen"}, {"email": 5}):
        assert client.post(URL, json=body).get_json()["error"] == "invalid_request"


def test_every_answer_takes_the_same_time(app, client, anna):
    app.config["APP_CODE_ANSWER_SECONDS"] = 0.2
    for email in ("niemand@praxis.example", EMAIL):
        started = time.monotonic()
        ask(client, email)
        assert time.monotonic() - started >= 0.2


def test_the_per_client_api_limit_applies(migrated, database_url, redis_url, world):
    app = make_app(database_url, redis_url, API_RATE_LIMIT="3 per minute", APP_CODE_ANSWER_SECONDS=0)
    app.redis.flushdb()
    client = app.test_client()
    for _ in range(3):
        ask(client, "niemand@praxis.example")
    refused = client.post(URL, json={"email": "niemand@praxis.example"})
    assert refused.status_code == 429 and refused.get_json()["error"] == "too_many_attempts"
    assert int(refused.headers["Retry-After"]) > 0
