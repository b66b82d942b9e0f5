"""What a security and bad-input probe found: formula injection in the CSV exports, addresses with
umlauts, sends that never end, oversized bodies, unthrottled terminals, the development mail
viewer across groups, the API's budget and challenge, an orphaned scheduler, practice names."""

from __future__ import annotations

import csv
import http.client
import io
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from sqlalchemy import func, select

from portal.codes import jobs as code_jobs
from portal.codes.jobs import send_code, sweep
from portal.codes.models import CodeRequest
from portal.extensions import db
from portal.models import Participant, Practice, PracticeGroup, Prescription, Therapist
from portal.outbox.delivery import Delivery
from portal.timeutil import clock, utcnow
from portal.web import spreadsheet_safe

from . import factories as f
from .conftest import make_app
from .helpers import HX, SIGNATURE_URL, activate, run_jobs, save_dialog, signed_in

ROOT = Path(__file__).resolve().parents[1]
FORMULAS = ("=HYPERLINK(\"http://böse.example\",\"klick\")", "+cmd|' /C calc'!A0", "-2+3",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\tTab", "\rReturn")


# --- 3: CSV exports ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cell,expected", [
    ("=1+1", "'=1+1"), ("+49 221 123", "'+49 221 123"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-5", "-5"), ("-2,5", "-2,5"), ("12.03.2026", "12.03.2026"),
    ("Müller", "Müller"), ("", ""), (None, ""), (7, "7"),
])
def test_cells_that_would_start_a_formula_are_neutralised(cell, expected):
    assert spreadsheet_safe(cell) == expected


def _csv(response) -> list[list[str]]:
    assert response.headers["Cache-Control"] == "no-store" and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


def test_the_attendance_csv_neutralises_names_reasons_and_payers(app, as_user, world):
    with app.app_context():
        ids = f.course_day(world.group_a, world.practice_a1)
        person = db.session.get(Participant, ids["petra"])
        person.first_name, person.last_name = FORMULAS[0], FORMULAS[1]
        db.session.scalars(select(Prescription)).one().payer = FORMULAS[3]
        db.session.commit()
    client = as_user(world.chef_a)
    client.post(f"/kurse/heute/{ids['heart']}/einchecken", data={
        "participant_id": ids["petra"], "signature": SIGNATURE_URL, "springer_reason": FORMULAS[2]})
    rows = _csv(client.get(f"/kurse/{ids['heart']}/anwesenheit.csv"))
    assert len(rows) == 2
    name, reason, payer = rows[1][2], rows[1][5], rows[1][6]
    assert name == "'" + FORMULAS[0] + " " + FORMULAS[1] and reason == "'-2+3" and payer == "'" + FORMULAS[3]


def test_the_audit_csv_neutralises_addresses_and_group_names(app, as_user, world):
    with app.app_context():
        db.session.get(PracticeGroup, world.group_a).name = "=HYPERLINK(\"x\")"
        db.session.commit()
    client = as_user(world.support)
    client.post(f"/support/gruppen/{world.group_a}/lizenzen/app", data={"app-valid_from": "2020-01-01"})
    rows = _csv(client.get("/protokoll/export.csv"))
    assert rows[1][1] == "'=HYPERLINK(\"x\")" and rows[1][3] == world.support


# --- 4: addresses with umlauts, and sends that end --------------------------------------------------

def test_a_domain_with_umlauts_is_taken_and_mailed_in_its_ascii_form(app, as_user, world, smtp_sink):
    client = as_user(world.chef_a)
    save_dialog(app, client, world.therapist_a, email="juergen@müller.example", app_enabled="y")
    run_jobs(app)
    [mail] = smtp_sink.messages()
    assert mail["To"] == "juergen@xn--mller-kva.example"
    with app.app_context():
        assert db.session.get(Therapist, world.therapist_a).email == "juergen@müller.example"
        assert db.session.scalars(select(CodeRequest.delivery)).one() == Delivery.ACCEPTED


def test_umlauts_before_the_at_are_refused_in_the_form(app, as_user, world):
    response = save_dialog(app, as_user(world.chef_a), world.therapist_a, expect=422, email="jürgen@müller.example")
    assert "Umlaute und andere Sonderzeichen vor dem @" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Therapist, world.therapist_a).email == "anna.schmidt@praxis.example"


def test_a_stored_address_no_server_can_take_ends_refused_with_the_reason(app, as_user, world, smtp_sink):
    with app.app_context():
        therapist = db.session.get(Therapist, world.therapist_a)
        therapist.email, therapist.app_enabled = "jürgen@müller.example", True  # stored before the check
        db.session.commit()
    as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/zugangscode", headers=HX)  # the arrow
    run_jobs(app)
    with app.app_context():
        request = db.session.scalars(select(CodeRequest)).one()
        assert request.delivery == Delivery.REFUSED and "SMTPUTF8" in request.smtp_response
        assert sweep() == 0  # nothing is sent again
    assert smtp_sink.messages() == []


def test_an_unexpected_error_while_sending_ends_in_a_visible_failure(app, as_user, world, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("kaputt")

    monkeypatch.setattr(code_jobs, "build_message", broken)
    client = as_user(world.chef_a)
    activate(app, client, world.therapist_a)
    run_jobs(app)
    with app.app_context():
        request = db.session.scalars(select(CodeRequest)).one()
        assert request.delivery == Delivery.FAILED
        assert "Interner Fehler beim Versand (KeyError)" in request.smtp_response
        assert sweep() == 0
    html = client.get(f"/therapeuten/{world.therapist_a}/zugangscode").get_data(as_text=True)
    assert "Versand fehlgeschlagen: Interner Fehler" in html and "hx-trigger" not in html.split("code-arrow")[0]


def test_a_send_interrupted_again_and_again_is_given_up(app, as_user, world):
    activate(app, as_user(world.chef_a), world.therapist_a)
    app.redis.flushdb()
    with app.app_context():
        request_id = db.session.scalars(select(CodeRequest.id)).one()
        for _ in range(app.config["ACCESS_CODE_MAX_SENDS"]):  # a worker dies on it each time
            request = db.session.get(CodeRequest, request_id)
            request.delivery, request.sending_started_at = Delivery.SENDING, utcnow()
            request.attempts += 1
            db.session.commit()
            clock.set(utcnow() + timedelta(minutes=6))
            sweep()
        request = db.session.get(CodeRequest, request_id)
        assert request.delivery == Delivery.FAILED and "mehrmals unterbrochen" in request.smtp_response
        assert send_code(request_id) == "skipped"


# --- 5: body size --------------------------------------------------------------------------------

@pytest.mark.parametrize("megabytes", [10, 20])
def test_a_huge_sign_in_post_is_refused_with_413(client, megabytes):
    body = b"email=a%40b.de&password=" + b"x" * (megabytes * 2**20)
    response = client.post("/anmelden", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and "Die Anfrage ist zu groß" in response.get_data(as_text=True)


def _chunked_post(base: str, path: str, size: int, content_type: str) -> int:
    def chunks():
        block = b"x" * 65536
        for _ in range(size // len(block)):
            yield block

    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.request("POST", path, body=chunks(), headers={"Content-Type": content_type}, encode_chunked=True)
        return connection.getresponse().status
    except (BrokenPipeError, ConnectionResetError):  # the server answered 413 and stopped reading
        return 413
    finally:
        connection.close()


def test_chunked_bodies_are_limited_too(live_server):
    assert _chunked_post(live_server, "/api/app/v1/session", 200 * 2**20, "application/json") == 413
    assert _chunked_post(live_server, "/anmelden", 20 * 2**20, "application/x-www-form-urlencoded") == 413
    assert _chunked_post(live_server, "/api/app/v1/session", 8 * 1024, "application/json") == 400  # small: read


def test_only_a_signature_may_be_large(app, as_user, world):
    with app.app_context():
        ids = f.course_day(world.group_a, world.practice_a1)
    large = {"participant_id": str(ids["petra"]), "signature": "data:image/png;base64," + "A" * 400_000}
    response = as_user(world.chef_a).post(f"/kurse/heute/{ids['back']}/einchecken", headers=HX, data=large)
    assert response.status_code == 422  # read, then refused as no readable signature
    response = as_user(world.chef_a).post("/praxisgruppe/praxen", headers=HX, data={"name": "x" * 400_000})
    assert response.status_code == 413


def test_an_oversized_api_body_gets_the_json_error(client):
    response = client.post("/api/app/v1/session", data=b"{" + b" " * 20_000 + b"}", content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"] == "request_too_large"


# --- 6: the terminal --------------------------------------------------------------------------------

@pytest.fixture
def terminal(app, as_user, world):
    """Today's courses and a paired tablet; returns (tablet, course ids)."""
    with app.app_context():
        ids = f.course_day(world.group_a, world.practice_a1)
    chef = as_user(world.chef_a)
    html = chef.post("/kurse/terminals", data={"name": "Tresen", "key": "TAB-01"}).get_data(as_text=True)
    code = html.split('<code id="pairing-code">')[1].split("<")[0]
    tablet = app.test_client()
    assert tablet.post("/terminal/koppeln", data={"code": code}).status_code == 302
    return tablet, ids


def test_wrong_pairing_codes_are_throttled_per_address(client):
    for _ in range(10):
        assert client.post("/terminal/koppeln", data={"code": "FALSCH12"}).status_code == 422
    limited = client.post("/terminal/koppeln", data={"code": "FALSCH12"})
    html = limited.get_data(as_text=True)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Zu viele Versuche" in html and "Check-in" in html  # the terminal's own page, in German


def test_walking_chip_numbers_is_throttled_per_tablet(terminal):
    tablet, ids = terminal
    for chip in range(5000, 5020):
        assert tablet.post(f"/terminal/kurs/{ids['back']}", data={"chip": str(chip)}).status_code == 422
    limited = tablet.post(f"/terminal/kurs/{ids['back']}", data={"chip": "4711"})
    assert limited.status_code == 429 and "Retry-After" in limited.headers


def test_the_terminal_shows_only_the_first_name_and_an_initial(terminal):
    tablet, ids = terminal
    sign = tablet.post(f"/terminal/kurs/{ids['heart']}", data={"chip": "4711"}).get_data(as_text=True)
    assert "Hallo Petra P." in sign and "Pohl" not in sign  # a Springer: the hint names her too
    step = tablet.post(f"/terminal/kurs/{ids['back']}", data={"chip": "4711"}).get_data(as_text=True)
    ticket = re.search(r'name="ticket" type="hidden" value="([^"]+)"', step).group(1)
    done = tablet.post(f"/terminal/kurs/{ids['back']}/einchecken", data={
        "ticket": ticket, "signature": SIGNATURE_URL}).get_data(as_text=True)
    assert "Danke, Petra P.!" in done and "Pohl" not in done
    again = tablet.post(f"/terminal/kurs/{ids['back']}", data={"chip": "4711"}).get_data(as_text=True)
    assert "Petra P. ist für diesen Termin bereits eingecheckt." in again and "Pohl" not in again


# --- 7: the development mail viewer ------------------------------------------------------------------

def test_the_mail_viewer_shows_a_group_only_its_own_mails(migrated, database_url, redis_url, world, smtp_sink):
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port, DEV_TOOLS=True,
                   MAIL_SINK_DIR=str(smtp_sink.directory))
    activate(app, signed_in(app, world.chef_a), world.therapist_a)
    run_jobs(app)
    [name] = [p.name for p in smtp_sink.directory.glob("*.eml")]
    other = signed_in(app, world.chef_b)
    assert name not in other.get("/dev/mails").get_data(as_text=True)
    assert other.get(f"/dev/mails/{name}").status_code == 404
    assert other.get(f"/dev/mails/{name}/html").status_code == 404
    assert name in signed_in(app, world.therapeut_a).get("/dev/mails").get_data(as_text=True)
    support = signed_in(app, world.support)
    assert name in support.get("/dev/mails").get_data(as_text=True)
    assert support.get(f"/dev/mails/{name}").status_code == 200


# --- 8: the smaller things -----------------------------------------------------------------------------

def test_the_api_rate_limit_is_one_budget_per_client(migrated, database_url, redis_url):
    app = make_app(database_url, redis_url, API_RATE_LIMIT="3 per minute")
    client = app.test_client()
    assert client.post("/api/app/v1/session", json={}).status_code == 400
    assert client.get("/api/app/v1/openapi.json").status_code == 200
    assert client.post("/api/app/v1/sync", json={}).status_code == 401
    limited = client.get("/api/app/v1/database")
    assert limited.status_code == 429 and limited.get_json()["error"] == "too_many_attempts"


def test_401_answers_carry_a_bearer_challenge(client):
    response = client.post("/api/app/v1/sync", json={"version": "x"}, headers={"Authorization": "Bearer falsch"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="therapeuten-app", error="invalid_token"'
    sign_in = client.post("/api/app/v1/session", json={"email": "a@b.de", "code": "123456", "device_name": "x",
                                                         "platform": "ios"})
    assert sign_in.status_code == 401 and sign_in.headers["WWW-Authenticate"] == 'Bearer realm="therapeuten-app"'


def test_the_workers_scheduler_dies_with_a_killed_worker(database_url, redis_url, migrated):
    env = {**os.environ, "PORTAL_ENV": "testing", "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    worker = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = []
    try:
        parent = psutil.Process(worker.pid)
        deadline = time.monotonic() + 30
        while not parent.children() and time.monotonic() < deadline:
            time.sleep(0.2)
        children = parent.children(recursive=True)
        assert children, "the worker started no scheduler"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        gone, alive = psutil.wait_procs(children, timeout=15)
        assert alive == []
    finally:
        for child in children:  # a failed run leaves no orphan behind either
            if child.is_running():
                child.kill()
        if worker.poll() is None:
            worker.kill()


def test_practice_names_differ_in_more_than_case_umlauts_included(app, as_user, world):
    client = as_user(world.chef_a)
    assert client.post("/praxisgruppe/praxen", headers=HX, data={"name": "ÄRZTEHAUS", "city": ""}).status_code == 200
    duplicate = client.post("/praxisgruppe/praxen", headers=HX, data={"name": "ärztehaus", "city": ""})
    assert duplicate.status_code == 422
    assert "Eine Praxis mit diesem Namen gibt es" in duplicate.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Practice.id)).where(Practice.group_id == world.group_a)) == 3


# --- issue 23: secrets in URLs ------------------------------------------------------------------------

def test_the_pairing_code_of_a_qr_code_leaves_the_address_at_once(app, as_user, world):
    html = as_user(world.chef_a).post("/kurse/terminals", data={"name": "Tresen", "key": "TAB-07"}).get_data(
        as_text=True)
    code = re.search(r'<code id="pairing-code">([A-Z0-9]{8})</code>', html).group(1)
    tablet = app.test_client()
    scanned = tablet.get(f"/terminal/koppeln?code={code}")  # the address the QR code holds
    assert scanned.status_code == 303 and scanned.headers["Location"] == "/terminal/koppeln"
    assert f'value="{code}"' in tablet.get("/terminal/koppeln").get_data(as_text=True)  # filled in, to confirm
    assert tablet.post("/terminal/koppeln", data={"code": code}).status_code == 302
    assert code not in tablet.get("/terminal/koppeln").get_data(as_text=True)
