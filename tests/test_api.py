"""The app API and the device life cycle, against a live server with the reference device client."""

import re
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest
from rq.cron import CronJob
from sqlalchemy import func, select

from portal.devtools.device_simulator import DeviceClient, main
from portal.extensions import db
from portal.models import Device, PracticeGroup, RunStatus, ScriptRun, Therapist, TherapistDatabase
from portal.scripts.jobs import sweep_runs
from portal.therapist_db import generator
from portal.therapist_db.jobs import sweep as database_sweep
from portal.timeutil import BERLIN, clock, utcnow

from . import factories as f
from .conftest import make_app
from .helpers import EMAIL, HX, activate, code_in, deactivate, run_jobs


@pytest.fixture
def activated(app, world, chef, smtp_sink):
    """Anna Schmidt activated: code mailed, database generated. Returns the code."""
    with app.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        f.appointment(t, t.practices[0], utcnow() + timedelta(days=1), "Manuelle Therapie")
        db.session.commit()
    activate(app, chef, world.therapist_a)
    run_jobs(app)
    return code_in(smtp_sink.messages()[-1])


def device(tmp_path, live_server, name="a"):
    return DeviceClient(tmp_path / name, live_server)


def test_the_whole_device_life_cycle(app, world, chef, activated, smtp_sink, live_server, tmp_path):
    phone = device(tmp_path, live_server)
    answer = phone.sign_in(EMAIL, activated, "iPhone von Anna", "ios")
    assert answer.status == 201 and answer.body["therapist"] == {"id": world.therapist_a, "name": "Anna Schmidt"}
    assert phone.database_file.exists() and phone.version == answer.body["database"]["sha256"]
    with sqlite3.connect(phone.database_file) as local:
        assert local.execute("SELECT first_name, last_name FROM therapist").fetchall() == [("Anna", "Schmidt")]
        assert local.execute("SELECT title FROM appointment").fetchall() == [("Manuelle Therapie",)]
    assert phone.download().status == 304

    deactivate(app, chef, world.therapist_a)
    refused = phone.sync()
    assert refused.status == 403 and refused.error == "deactivated"
    assert phone.database_file.exists() and phone.token  # it keeps showing what it holds
    assert phone.download().error == "deactivated"
    with app.app_context():
        assert db.session.scalars(select(Device)).one().locked_at is not None
    dialog = chef.get(f"/therapeuten/{world.therapist_a}", headers=HX).get_data(as_text=True)
    assert 'data-device-state="locked"' in dialog and "gesperrt seit" in dialog

    clock.set(utcnow() + timedelta(seconds=40))  # past the 30-second rule, so reactivating mails a code
    activate(app, chef, world.therapist_a)  # reactivate: same device, no new code needed
    run_jobs(app)
    assert phone.sync().status == 200
    with app.app_context():
        assert db.session.scalars(select(Device)).one().locked_at is None

    tablet = device(tmp_path, live_server, "b")
    assert tablet.sign_in(EMAIL, activated, "Tablet", "android").error == "invalid_code"  # the used code
    newest = code_in(smtp_sink.messages()[-1])
    assert tablet.sign_in(EMAIL, newest, "Tablet", "android").status == 201
    assert device(tmp_path, live_server, "c").sign_in(EMAIL, newest).error == "invalid_code"

    old_token = phone.token
    assert phone.sign_out().status == 204
    assert not phone.database_file.exists() and phone.token is None
    phone.state["token"] = old_token
    assert phone.sync().error == "invalid_token"
    assert tablet.sync().status == 200
    with app.app_context():
        states = sorted(d.state for d in db.session.scalars(select(Device)))
    assert states == ["active", "signed_out"]


def test_ten_parallel_sign_ins_with_one_code_make_exactly_one_device(app, world, activated, live_server, tmp_path):
    answers = []
    barrier = threading.Barrier(10)

    def sign_in(n):
        client = device(tmp_path, live_server, f"parallel-{n}")
        barrier.wait()
        answers.append(client.sign_in(EMAIL, activated, f"Gerät {n}", "ios").status)

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers) == [201] + [401] * 9
    with app.app_context():
        assert db.session.scalar(select(func.count(Device.id))) == 1


def test_a_chef_ends_a_device_session_and_the_app_wipes_its_data(app, world, chef, activated, live_server, tmp_path):
    phone = device(tmp_path, live_server)
    phone.sign_in(EMAIL, activated)
    with app.app_context():
        device_id = db.session.scalars(select(Device.id)).one()
    html = chef.post(f"/therapeuten/{world.therapist_a}/geraete/{device_id}/beenden", headers=HX).get_data(as_text=True)
    assert "ist beendet" in html and 'data-device-state="revoked"' in html
    answer = phone.sync()
    assert answer.status == 401 and answer.error == "revoked" and answer.body["wipe"] is True
    assert not phone.database_file.exists() and phone.token is None


def test_sign_in_waits_for_the_database_without_consuming_the_code(app, world, chef, smtp_sink, live_server,
                                                                   tmp_path):
    activate(app, chef, world.therapist_a)
    with app.app_context():
        jobs = app.task_queue.jobs
        generation = next(j for j in jobs if j.func_name.endswith("generate_database"))
        app.task_queue.remove(generation)  # the database is not there yet
    run_jobs(app)
    code = code_in(smtp_sink.messages()[-1])
    phone = device(tmp_path, live_server)
    answer = phone.sign_in(EMAIL, code)
    assert answer.status == 409 and answer.error == "database_not_ready"
    assert "Zugangscode bleibt gültig" in answer.body["message"]
    run_jobs(app)  # the refused sign-in asked for the database
    assert phone.sign_in(EMAIL, code).status == 201


def test_a_deactivated_therapist_cannot_sign_in_and_keeps_the_code(app, world, chef, activated, live_server, tmp_path):
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = False
        db.session.commit()
    phone = device(tmp_path, live_server)
    assert phone.sign_in(EMAIL, activated).error == "app_disabled"
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = True
        db.session.commit()
    assert phone.sign_in(EMAIL, activated).status == 201


def test_without_a_licence_sign_in_and_sync_are_refused(app, world, activated, live_server, tmp_path):
    phone = device(tmp_path, live_server)
    phone.sign_in(EMAIL, activated)
    with app.app_context():
        group = db.session.get(PracticeGroup, world.group_a)
        for licence in group.licences:
            licence.valid_until = datetime(2021, 1, 1).date()
        db.session.commit()
    answer = phone.sync()
    assert answer.status == 403 and answer.error == "no_license" and phone.database_file.exists()


def test_the_database_holds_nothing_of_another_therapist(app, world, chef, activated, live_server, tmp_path):
    with app.app_context():
        group = db.session.get(PracticeGroup, world.group_a)
        other = f.therapist(group, "Otto", "Anders", "otto@praxis.example",
                            practices=db.session.get(Therapist, world.therapist_a).practices)
        f.appointment(other, other.practices[0], utcnow() + timedelta(days=2), "Geheim")
        f.course(group, other.practices[0], other, "Ottos Kurs")
        db.session.commit()
    phone = device(tmp_path, live_server)
    phone.sign_in(EMAIL, activated)
    content = phone.database_file.read_bytes()
    for foreign in (b"Otto", b"Anders", b"otto@praxis.example", b"Geheim", b"Ottos Kurs", b"Bernd"):
        assert foreign not in content


def test_a_schedule_change_regenerates_the_database(app, world, chef, activated, live_server, tmp_path):
    phone = device(tmp_path, live_server)
    phone.sign_in(EMAIL, activated)
    first = phone.version
    response = chef.post(f"/therapeuten/{world.therapist_a}/termine", headers=HX, data={
        "title": "Lymphdrainage", "day": (utcnow() + timedelta(days=3)).date().isoformat(),
        "start": "10:00", "duration_minutes": "30", "practice_id": str(world.practice_a1)})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(TherapistDatabase, world.therapist_a).stale
    run_jobs(app)
    assert phone.sync().status == 200 and phone.version != first
    with sqlite3.connect(phone.database_file) as local:
        titles = {t for (t,) in local.execute("SELECT title FROM appointment")}
    assert titles == {"Manuelle Therapie", "Lymphdrainage"}


@pytest.mark.parametrize("body,content_type", [
    (b"{kaputt", "application/json"),
    (b"[]", "application/json"),
    (b'{"email": "a@b.de"}', "application/json"),
    (b'{"email": 5, "code": 123456, "device_name": [], "platform": null}', "application/json"),
    (b'{"email": "a@b.de", "code": "1", "device_name": "x", "platform": "ios"}', "text/plain"),
    (b'{"email": "' + b"a" * 300 + b'", "code": "1", "device_name": "x", "platform": "ios"}', "application/json"),
])
def test_malformed_requests_answer_400_invalid_request(client, body, content_type):
    response = client.post("/api/app/v1/session", data=body, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request" and response.get_json()["message"]


def test_a_body_over_16_kb_answers_413(client):
    body = b'{"email": "' + b"a" * 20000 + b'", "code": "1", "device_name": "x", "platform": "ios"}'
    response = client.post("/api/app/v1/session", data=body, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"] == "request_too_large"


def test_requests_without_a_valid_token_answer_401(client):
    for method, path in (("GET", "/database"), ("POST", "/sync"), ("DELETE", "/session")):
        response = client.open("/api/app/v1" + path, method=method, json={"version": "x"},
                               headers={"Authorization": "Bearer falsch"})
        assert response.status_code == 401 and response.get_json()["error"] == "invalid_token"
    assert client.get("/api/app/v1/gibtsnicht").get_json()["error"] == "not_found"


def test_the_api_has_a_per_client_rate_limit_with_retry_after(migrated, database_url, redis_url):
    app = make_app(database_url, redis_url, API_RATE_LIMIT="3 per minute")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/api/app/v1/session", json={}).status_code == 400
    limited = client.post("/api/app/v1/session", json={})
    assert limited.status_code == 429 and limited.get_json()["error"] == "too_many_attempts"
    assert int(limited.headers["Retry-After"]) > 0


def test_portal_sessions_do_not_authenticate_the_api(app, world, chef):
    assert chef.get("/api/app/v1/database").status_code == 401


def test_openapi_describes_every_route(client):
    spec = client.get("/api/app/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/session", "/database", "/sync", "/code", "/openapi.json"}
    assert set(spec["paths"]["/session"]) == {"post", "delete"}
    assert {"201", "400", "401", "403", "409", "429"} <= set(spec["paths"]["/session"]["post"]["responses"])
    assert {"202", "400", "429"} <= set(spec["paths"]["/code"]["post"]["responses"])


def test_the_saturday_run_is_next_scheduled_for_saturday_3_am_in_berlin(cron_entries):
    entry = cron_entries["therapist-databases-saturday"]
    assert entry["func"].__name__ == "saturday_databases" and entry["kwargs"] is None
    job = CronJob(queue_name=entry["queue_name"], func=entry["func"], cron=entry["cron"])
    for base in (datetime(2026, 11, 26, 12, 0, tzinfo=UTC), datetime(2026, 7, 1, 12, 0, tzinfo=UTC)):
        job.latest_enqueue_time = base
        when = job.get_next_enqueue_time().astimezone(BERLIN)
        assert (when.weekday(), when.hour, when.minute) == (5, 3, 0), when
    assert job.get_next_enqueue_time() == datetime(2026, 7, 4, 1, 0, tzinfo=UTC)  # summer time: UTC+2


def test_the_scripts_page_generates_the_missing_databases_with_progress(app, world, chef):
    with app.app_context():
        group = db.session.get(PracticeGroup, world.group_a)
        for n in range(3):
            f.therapist(group, "Neu", f"Person{n}", app_enabled=True)
        db.session.commit()
    page = chef.get("/scripts").get_data(as_text=True)
    assert "Derzeit fehlen 3 Datenbanken." in page
    fragment = chef.post("/scripts/datenbanken", headers=HX).get_data(as_text=True)
    assert "wartet auf den Hintergrunddienst" in fragment and 'hx-trigger="load delay:1s"' in fragment
    run_id = int(re.search(r'id="run-(\d+)"', fragment).group(1))
    run_jobs(app)
    done = chef.get(f"/scripts/laeufe/{run_id}").get_data(as_text=True)
    assert "3 von 3 Datenbanken erzeugt" in done and "hx-trigger" not in done
    page = chef.get("/scripts").get_data(as_text=True)
    assert "Derzeit fehlen 0 Datenbanken." in page and world.chef_a in page


def test_the_device_simulator_command_line(app, world, activated, live_server, tmp_path, capsys):
    folder = str(tmp_path / "cli")
    assert main(["--dir", folder, "--url", live_server, "signin", "--email", EMAIL, "--code", activated,
                 "--device-name", "Kommandozeile"]) == 0
    assert "HTTP 201" in capsys.readouterr().out
    assert (tmp_path / "cli" / "therapeuten-datenbank.sqlite").exists()
    assert main(["--dir", folder, "sync"]) == 0
    assert main(["--dir", folder, "signout"]) == 0
    output = capsys.readouterr().out
    assert "HTTP 204" in output and "lokale Datenbank: keine" in output
    assert not (tmp_path / "cli" / "therapeuten-datenbank.sqlite").exists()
    assert main(["--dir", folder, "sync"]) == 1  # signed out: a new code is needed


def test_the_database_sweeper_enqueues_what_redis_missed(app, world, chef):
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = True
        db.session.commit()
    chef.post(f"/therapeuten/{world.therapist_a}/datenbank", headers=HX)
    app.redis.flushdb()  # Redis lost the job
    with app.app_context():
        assert database_sweep() == 0  # a regeneration gets two minutes before it counts as lost
        clock.set(utcnow() + timedelta(minutes=3))
        assert database_sweep() == 1
        assert database_sweep() == 0  # handed over once
    run_jobs(app)
    with app.app_context():
        assert not db.session.get(TherapistDatabase, world.therapist_a).stale


def test_a_lost_database_file_counts_as_missing_and_is_generated_again(app, world, activated, live_server,
                                                                        tmp_path, chef):
    phone = DeviceClient(tmp_path / "a", live_server)
    phone.sign_in(EMAIL, activated)
    with app.app_context():
        generator.path_for(world.group_a, world.therapist_a).unlink()
    assert phone.sync().error == "database_not_ready"
    checks = chef.get(f"/therapeuten/{world.therapist_a}/checkliste").get_data(as_text=True)
    assert 'data-check="database" data-ok="nein"' in checks
    run_jobs(app)
    assert phone.sync().status == 200


def test_the_script_sweeper_starts_runs_redis_missed_and_closes_dead_ones(app, world, chef):
    chef.post("/scripts/datenbanken", headers=HX)
    app.redis.flushdb()  # Redis lost the job
    with app.app_context():
        db.session.add(ScriptRun(group_id=world.group_a, script="generate_missing", started_by_label="x",
                                 status=RunStatus.RUNNING, created_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
        assert sweep_runs() == 2  # the lost one enqueued, the dead one closed
    run_jobs(app)
    with app.app_context():
        done, dead = db.session.scalars(select(ScriptRun).order_by(ScriptRun.id)).all()
        assert done.status == RunStatus.DONE
        assert dead.status == RunStatus.FAILED and "abgebrochen" in dead.result
