"""Appointments from the practice's calendar, end to end: subscribing on the Termine tab, the job
that fetches from a real HTTP server on loopback, what the tab and the app's database show, changes
at the source, failures, uploads, removal, the cron slot, and the address kept secret."""

from __future__ import annotations

import io
import re
import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from portal import create_app, recurring
from portal.calendars import address as addresses
from portal.calendars.jobs import fetch_due
from portal.calendars.models import CalendarSubscription
from portal.calendars.services import refresh
from portal.devtools.feed_server import FeedServer
from portal.extensions import db
from portal.models import Appointment, AuditEvent, Practice, Therapist, TherapistDatabase
from portal.recurring import RUNS_KEY
from portal.therapist_db import generator
from portal.timeutil import BERLIN, clock

from . import factories as f
from .helpers import HX, run_jobs

FEEDS = Path(__file__).parent / "calendar_feeds"
GOOGLE = (FEEDS / "google.ics").read_bytes()
NOW = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)  # the window: 1 September to 30 December 2026
SECRET = "private-0123456789abcdef"
PATH = f"/calendar/ical/praxis%40gruppe.example/{SECRET}/basic.ics"


@pytest.fixture(scope="module")
def server():
    with FeedServer() as feeds:
        yield feeds


@pytest.fixture
def feeds(server):
    server.files.clear()
    server.requests.clear()
    server.files[PATH] = GOOGLE
    return server


@pytest.fixture
def calendar_app(app):
    """The app allowed to fetch from loopback (the test server), with the clock on 1 October 2026."""
    app.config["CALENDAR_ALLOW_PRIVATE_HOSTS"] = True
    clock.set(NOW)
    return app


def _subscribe(client, world, feeds, path=PATH, **data):
    form = {"address": feeds.url(path), "practice_id": str(world.practice_a1), **data}
    return client.post(f"/therapeuten/{world.therapist_a}/kalender", headers=HX, data=form)


def _calendar(app) -> CalendarSubscription:
    with app.app_context():
        calendar = db.session.scalars(select(CalendarSubscription)).one()
        db.session.expunge(calendar)
        return calendar


def _imported(app, therapist_id) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(Appointment.starts_at, Appointment.title)
                                  .where(Appointment.therapist_id == therapist_id,
                                         Appointment.calendar_id.is_not(None))
                                  .order_by(Appointment.starts_at)).all()
    return [(row.starts_at.astimezone(BERLIN).strftime("%d.%m. %H:%M"), row.title) for row in rows]


def _tab(client, therapist_id) -> str:
    return client.get(f"/therapeuten/{therapist_id}/termine").get_data(as_text=True)


@contextmanager
def _writes(app):
    """The tables written to while the block runs."""
    tables = []

    def note(_conn, _cursor, statement, *_args):
        words = statement.split()
        if words and words[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            tables.append((words[2] if words[0].upper() in ("INSERT", "DELETE") else words[1]).strip('"'))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield tables
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _subscribed(calendar_app, as_user, world, feeds):
    client = as_user(world.chef_a)
    assert _subscribe(client, world, feeds).status_code == 200
    run_jobs(calendar_app)
    return client


def test_subscribe_fetch_and_see_the_appointments_marked_aus_kalender(calendar_app, as_user, world, feeds):
    client = as_user(world.therapeut_a)
    response = _subscribe(client, world, feeds)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="calendars"')
    assert "Kalender gespeichert; er wird jetzt abgerufen." in html and "Wird abgerufen" in html
    assert "127.0.0.1 · …cdef" in html and SECRET not in html
    calendar = _calendar(calendar_app)
    assert [job.args for job in calendar_app.task_queue.jobs] == [(calendar.id,)]  # ids only, no address

    run_jobs(calendar_app)
    assert len(_imported(calendar_app, world.therapist_a)) == 13
    status = client.get(f"/therapeuten/{world.therapist_a}/kalender/{calendar.id}", headers=HX)
    assert "13 neu, 0 geändert, 0 entfernt" in status.get_data(as_text=True)
    assert status.headers["HX-Trigger"] == "appointments-changed"  # the list below reloads itself
    tab = _tab(client, world.therapist_a)
    assert "Zuletzt abgerufen: 01.10.2026, 10:00 Uhr – 13 neu, 0 geändert, 0 entfernt" in tab
    assert tab.count("aus Kalender</span>") == 13
    assert "13.10.2026, 09:00 Uhr" in tab and "27.10.2026, 09:00 Uhr" in tab  # across the change of time
    rows = re.findall(r'<tr id="appointment-\d+">.*?</tr>', tab, re.S)
    assert rows and not any("Entfernen" in row for row in rows)  # read-only: changed at the source
    assert SECRET not in tab


def test_imported_appointments_cannot_be_removed_one_by_one(calendar_app, as_user, world, feeds):
    client = _subscribed(calendar_app, as_user, world, feeds)
    with calendar_app.app_context():
        appointment_id = db.session.scalars(select(Appointment.id)).first()
    assert client.post(f"/therapeuten/{world.therapist_a}/termine/{appointment_id}/entfernen",
                       headers=HX).status_code == 404
    assert len(_imported(calendar_app, world.therapist_a)) == 13


def test_the_same_content_again_writes_no_appointment(calendar_app, as_user, world, feeds):
    client = _subscribed(calendar_app, as_user, world, feeds)
    calendar = _calendar(calendar_app)
    with calendar_app.app_context():
        before = db.session.execute(select(Appointment.id, Appointment.starts_at).order_by(Appointment.id)).all()
    client.post(f"/therapeuten/{world.therapist_a}/kalender/{calendar.id}/abrufen", headers=HX)
    with _writes(calendar_app) as tables:
        run_jobs(calendar_app)  # the server answers 304 to the ETag
    assert feeds.requests[-1][1]["If-None-Match"] and set(tables) == {"calendar_subscription"}
    with calendar_app.app_context():  # no ETag (a server without one): the same bytes are recognised
        db.session.get(CalendarSubscription, calendar.id).etag = None
        db.session.commit()
    with _writes(calendar_app) as tables, calendar_app.app_context():
        assert refresh(calendar.id) == "unchanged"
    assert "If-None-Match" not in feeds.requests[-1][1] and set(tables) == {"calendar_subscription"}
    with calendar_app.app_context():
        after = db.session.execute(select(Appointment.id, Appointment.starts_at).order_by(Appointment.id)).all()
    assert after == before
    assert "keine Änderungen" in _tab(client, world.therapist_a)


def test_changes_at_the_source_follow_and_regenerate_the_database_once(calendar_app, as_user, world, feeds, caplog):
    with calendar_app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = True
        db.session.commit()
    client = _subscribed(calendar_app, as_user, world, feeds)  # the database is generated with the import
    text = GOOGLE.decode()
    erstbefund = text[text.index("BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Berlin:20261012"):]
    erstbefund = erstbefund[:erstbefund.index("END:VEVENT\r\n") + len("END:VEVENT\r\n")]
    overrides = (
        "BEGIN:VEVENT\r\nUID:7kq3m1v0c5d2r8s9t4u6w1x3y5@google.com\r\nRECURRENCE-ID:20261013T070000Z\r\n"
        "DTSTART:20261013T070000Z\r\nDTEND:20261013T073000Z\r\nSTATUS:CANCELLED\r\nSEQUENCE:4\r\n"
        "SUMMARY:Rückenschule Gruppe\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:7kq3m1v0c5d2r8s9t4u6w1x3y5@google.com\r\nRECURRENCE-ID:20261020T070000Z\r\n"
        "DTSTART:20261021T100000Z\r\nDTEND:20261021T103000Z\r\nSEQUENCE:4\r\nSUMMARY:Rückenschule Gruppe\r\n"
        "END:VEVENT\r\n")
    feeds.files[PATH] = (text.replace(erstbefund, "")  # deleted
                         .replace("DTSTART:20261201T150000Z", "DTSTART:20261202T090000Z")  # moved
                         .replace("DTEND:20261201T154500Z", "DTEND:20261202T094500Z")
                         .replace("END:VCALENDAR", overrides + "END:VCALENDAR")).encode()  # cancelled, moved
    calendar = _calendar(calendar_app)
    with calendar_app.app_context():
        first_version = db.session.get(TherapistDatabase, world.therapist_a).sha256
    client.post(f"/therapeuten/{world.therapist_a}/kalender/{calendar.id}/abrufen", headers=HX)
    caplog.set_level("INFO")
    run_jobs(calendar_app)

    assert "0 neu, 2 geändert, 2 entfernt" in _tab(client, world.therapist_a)
    imported = _imported(calendar_app, world.therapist_a)
    assert ("12.10. 10:30", "Erstbefund") not in imported and ("13.10. 09:00", "Rückenschule Gruppe") not in imported
    assert ("21.10. 12:00", "Rückenschule Gruppe") in imported and ("02.12. 10:00", "Hausbesuch") in imported
    assert len(imported) == 11
    assert caplog.text.count(f"Datenbank von Therapeut {world.therapist_a} geschrieben") == 1  # once, not 4 times
    with calendar_app.app_context():
        record = db.session.get(TherapistDatabase, world.therapist_a)
        assert record.sha256 != first_version and not record.stale
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.imported")
                                    .order_by(AuditEvent.id)).all()
        assert [(e.details["added"], e.details["changed"], e.details["removed"]) for e in events] == [
            (13, 0, 0), (0, 2, 2)]
        path = generator.path_for(world.group_a, world.therapist_a)
    with sqlite3.connect(path) as app_db:  # what the app downloads
        titles = app_db.execute("SELECT starts_at, title FROM appointment ORDER BY starts_at").fetchall()
    assert ("2026-12-02T09:00:00+00:00", "Hausbesuch") in titles and len(titles) == 11


def test_a_failing_fetch_keeps_the_appointments_says_why_and_warns_after_a_day(calendar_app, as_user, world, feeds):
    client = _subscribed(calendar_app, as_user, world, feeds)
    calendar = _calendar(calendar_app)
    del feeds.files[PATH]  # the practice stopped publishing it: 404
    with calendar_app.app_context():
        assert refresh(calendar.id) == "failed"
    assert len(_imported(calendar_app, world.therapist_a)) == 13  # the app keeps what came last
    tab = _tab(client, world.therapist_a)
    assert "Abruf gescheitert" in tab and "Der Server antwortet mit HTTP-Status 404." in tab
    assert "Nicht gefunden: Der Kalender wurde gelöscht oder wird nicht mehr freigegeben." in tab
    assert "Kalender-Abruf gestört" not in client.get("/therapeuten").get_data(as_text=True)  # not yet a day

    clock.set(NOW + timedelta(hours=25))
    with calendar_app.app_context():
        assert refresh(calendar.id) == "failed"
    client = as_user(world.chef_a)  # a day later: signed in again
    row = client.get("/therapeuten").get_data(as_text=True)
    assert "Kalender-Abruf gestört" in row
    dialog = client.get(f"/therapeuten/{world.therapist_a}", headers=HX).get_data(as_text=True)
    assert "lässt sich seit 01.10.2026, 10:00 Uhr nicht abrufen" in dialog
    assert "entfernen Sie dieses Abo und tragen Sie die aktuelle Adresse neu ein" in dialog
    assert "Mindestens ein Termin oder Kurs zugeordnet" in dialog  # no readiness rule: the app keeps working
    assert "Der Abruf schlägt seit 01.10.2026, 10:00 Uhr fehl." in _tab(client, world.therapist_a)

    feeds.files[PATH] = GOOGLE
    with calendar_app.app_context():
        assert refresh(calendar.id) == "unchanged"
    assert "Kalender-Abruf gestört" not in client.get("/therapeuten").get_data(as_text=True)


def test_an_address_that_serves_no_calendar_is_named(calendar_app, as_user, world, feeds):
    feeds.files["/anmelden"] = b"<!DOCTYPE html><html><body>Bitte anmelden</body></html>"
    client = as_user(world.chef_a)
    _subscribe(client, world, feeds, path="/anmelden")
    run_jobs(calendar_app)
    tab = _tab(client, world.therapist_a)
    assert "Unter der Adresse steht kein Kalender im iCalendar-Format (.ics), vielleicht eine Anmeldeseite." in tab


def test_upload_a_file_once_and_replace_it_with_a_newer_one(calendar_app, as_user, world):
    client = as_user(world.chef_a)
    practice = (FEEDS / "practice.ics").read_bytes()
    response = client.post(f"/therapeuten/{world.therapist_a}/kalender/hochladen", headers=HX,
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(practice), "terminbuch.ics"),
                                 "practice_id": str(world.practice_a2)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "„terminbuch.ics“ übernommen: 19 neu, 0 geändert, 0 entfernt." in html
    assert "2 fehlerhafte Termine übersprungen" in html
    assert "„Besprechung ohne Zeit“: ohne Beginn (DTSTART)" in html
    assert "„Kontrolle“: Wiederholungsregel nicht lesbar (RRULE)" in html
    assert "termin-100260@praxissoftware.example" in html
    assert response.headers["HX-Trigger"] == "appointments-changed"
    newer = practice.replace(b"SUMMARY:KG-ZNS Herr Wagner", b"SUMMARY:KG-ZNS Herr Wagner (Folgetermin)")
    html = client.post(f"/therapeuten/{world.therapist_a}/kalender/hochladen", headers=HX,
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(newer), "terminbuch.ics"),
                             "practice_id": str(world.practice_a2)}).get_data(as_text=True)
    assert "0 neu, 1 geändert, 0 entfernt" in html
    with calendar_app.app_context():
        assert db.session.scalar(select(func.count(CalendarSubscription.id))) == 1
        assert db.session.scalar(select(func.count(Appointment.id))
                                 .where(Appointment.practice_id == world.practice_a2)) == 19
        assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
            "calendar.uploaded", "calendar.uploaded"]


@pytest.mark.parametrize(("body", "message"), [
    (b"<html>keine Datei</html>", "Die Datei ist kein Kalender im iCalendar-Format (.ics)."),
    (b"BEGIN:VCALENDAR\r\n" + b"X" * (5 * 1024 * 1024), "Die Datei ist größer als 5 MB."),
    (b"", "Die Datei ist leer."),
    (None, "Bitte wählen Sie eine .ics-Datei."),
])
def test_an_upload_that_is_no_calendar_is_refused_and_changes_nothing(calendar_app, as_user, world, body, message):
    data = {"practice_id": str(world.practice_a1)}
    if body is not None:
        data["file"] = (io.BytesIO(body), "kalender.ics")
    response = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/kalender/hochladen", headers=HX,
                                          content_type="multipart/form-data", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with calendar_app.app_context():
        assert db.session.scalar(select(func.count(CalendarSubscription.id))) == 0
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_remove_asks_with_the_number_of_appointments_and_takes_them_along(calendar_app, as_user, world, feeds):
    client = _subscribed(calendar_app, as_user, world, feeds)
    calendar = _calendar(calendar_app)
    assert "Seine 13 Termine werden mit entfernt." in _tab(client, world.therapist_a)
    response = client.post(f"/therapeuten/{world.therapist_a}/kalender/{calendar.id}/entfernen", headers=HX)
    assert "Kalender entfernt und mit ihm 13 Termine." in response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == "appointments-changed"
    assert _imported(calendar_app, world.therapist_a) == []
    with calendar_app.app_context():
        removal = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.removed")).one()
        assert (removal.actor_label, removal.details["appointments"]) == (world.chef_a, 13)
        assert db.session.get(TherapistDatabase, world.therapist_a).stale  # regenerated without them


def test_the_address_is_shown_masked_and_never_logged_audited_or_queued(calendar_app, as_user, world, feeds, caplog):
    caplog.set_level("DEBUG")
    client = as_user(world.chef_a)
    _subscribe(client, world, feeds)
    jobs = [job.args for job in calendar_app.task_queue.jobs]
    del feeds.files[PATH]
    run_jobs(calendar_app)  # fails: the log line names the calendar, not its address
    pages = _tab(client, world.therapist_a) + client.get("/protokoll").get_data(as_text=True)
    with calendar_app.app_context():
        audit = str([e.details for e in db.session.scalars(select(AuditEvent))])
        stored = db.session.scalars(select(CalendarSubscription)).one()
        assert addresses.decrypt(stored.address_encrypted) == feeds.url(PATH)
        stored_text = " ".join(str(value) for value in (stored.address_encrypted, stored.label, stored.error))
    for text in (pages, audit, caplog.text, str(jobs), stored_text):
        assert SECRET not in text and "praxis%40gruppe" not in text


@pytest.mark.parametrize(("address", "message"), [
    ("kalender", "Bitte geben Sie die vollständige Kalenderadresse ein"),
    ("ftp://example.org/kalender.ics", "Bitte geben Sie die vollständige Kalenderadresse ein"),
    ("https://example.org/kalender\x01.ics", "Bitte geben Sie die vollständige Kalenderadresse ein"),
    ("", "Bitte geben Sie die Adresse des Kalenders ein."),
])
def test_a_bad_address_is_refused_in_german(calendar_app, as_user, world, feeds, address, message):
    response = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/kalender", headers=HX,
                                          data={"address": address, "practice_id": str(world.practice_a1)})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with calendar_app.app_context():
        assert db.session.scalar(select(func.count(CalendarSubscription.id))) == 0


@pytest.mark.parametrize(("address", "message"), [
    ("http://calendar.example.org/basic.ics", "Bitte geben Sie die Adresse mit https:// an"),
    ("https://192.168.178.20/kalender.ics", "Adressen im internen Netz"),
    ("https://[::1]/kalender.ics", "Adressen im internen Netz"),
])
def test_without_private_hosts_only_https_to_public_addresses_is_taken(app, as_user, world, address, message):
    response = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/kalender", headers=HX,
                                          data={"address": address, "practice_id": str(world.practice_a1)})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_webcal_address_is_fetched_over_https_and_the_same_one_twice_is_refused(app, as_user, world):
    client = as_user(world.chef_a)
    webcal = "webcal://p42-caldav.icloud.com/published/2/MTIzNDU2Nzg5MDEyMzQ1Njc4OTBBQkNERUZHSElK"
    assert client.post(f"/therapeuten/{world.therapist_a}/kalender", headers=HX,
                       data={"address": webcal, "practice_id": str(world.practice_a1)}).status_code == 200
    with app.app_context():
        stored = db.session.scalars(select(CalendarSubscription)).one()
        assert addresses.decrypt(stored.address_encrypted) == webcal.replace("webcal://", "https://")
        assert stored.label == "p42-caldav.icloud.com · …SElK"
    again = client.post(f"/therapeuten/{world.therapist_a}/kalender", headers=HX,
                        data={"address": webcal.replace("webcal", "https"), "practice_id": str(world.practice_a1)})
    assert again.status_code == 422 and "Diesen Kalender hat Anna Schmidt schon abonniert." in again.get_data(
        as_text=True)


def test_a_fetch_nobody_takes_up_says_so_instead_of_spinning(calendar_app, as_user, world, feeds):
    client = as_user(world.chef_a)
    _subscribe(client, world, feeds)
    clock.set(NOW + timedelta(minutes=6))
    tab = _tab(client, world.therapist_a)
    assert "Abruf wartet" in tab and "hx-trigger=\"load delay:2s\"" not in tab


def test_cron_fetches_every_feed_once_per_slot_however_many_cron_processes_ask(calendar_app, world, feeds):
    feeds.files["/zweiter.ics"] = (FEEDS / "apple.ics").read_bytes()
    with calendar_app.app_context():
        therapist = db.session.get(Therapist, world.therapist_a)
        practice = db.session.get(Practice, world.practice_a1)
        first = f.calendar(therapist, practice, feeds.url(PATH)).id
        second = f.calendar(therapist, practice, feeds.url("/zweiter.ics")).id
        db.session.commit()
    for _cron_process in range(2):
        calendar_app.task_queue.enqueue(recurring.calendar_feeds)
    run_jobs(calendar_app)
    assert int(calendar_app.redis.hget(RUNS_KEY, "calendar-feeds")) == 1
    assert sorted(path for path, _ in feeds.requests) == sorted([PATH, "/zweiter.ics"])
    assert len(_imported(calendar_app, world.therapist_a)) == 13 + 6
    with calendar_app.app_context():
        assert {c.id: c.added for c in db.session.scalars(select(CalendarSubscription))} == {first: 13, second: 6}


def test_cron_entry_runs_every_quarter_hour(cron_entries):
    entry = cron_entries["calendar-feeds"]
    assert (entry["func"].__name__, entry["cron"], entry["queue_name"]) == ("calendar_feeds", "*/15 * * * *", "portal")


def test_an_uploaded_file_is_expanded_again_as_the_window_moves(calendar_app, as_user, world):
    body = (FEEDS / "practice.ics").read_bytes().replace(b"COUNT=20", b"COUNT=22")  # up to 31 December
    as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/kalender/hochladen", headers=HX,
                               content_type="multipart/form-data",
                               data={"file": (io.BytesIO(body), "terminbuch.ics"),
                                     "practice_id": str(world.practice_a1)})
    assert _imported(calendar_app, world.therapist_a)[-1] == ("24.12. 07:30", "MT Frau Krüger")
    with calendar_app.app_context():
        assert fetch_due() == 0  # expanded over today's window already
    clock.set(NOW + timedelta(days=10))  # the window: 11 September to 9 January
    with calendar_app.app_context():
        assert fetch_due() == 1
    run_jobs(calendar_app)
    imported = _imported(calendar_app, world.therapist_a)
    assert imported[0] == ("17.09. 07:30", "MT Frau Krüger")  # 3 and 10 September left the window
    assert imported[-1] == ("31.12. 07:30", "MT Frau Krüger")  # and 31 December came into it
    with calendar_app.app_context():
        calendar = db.session.scalars(select(CalendarSubscription)).one()
        assert (calendar.added, calendar.removed) == (1, 0)  # leaving the window is no change at the source


def test_production_refuses_to_fetch_from_private_hosts():
    settings = {"SECRET_KEY": "x" * 40, "PORTAL_URL": "https://portal.praxis.example",
                "CALENDAR_ALLOW_PRIVATE_HOSTS": True}
    with pytest.raises(RuntimeError, match="CALENDAR_ALLOW_PRIVATE_HOSTS"):
        create_app("production", settings)
