"""Terminals: registration with pairing code and QR, pairing, revocation; check-in at the terminal
and in the portal; participants, prescriptions and the monthly attendance list."""

import csv
import io
import re
import unicodedata
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from portal.checkin.models import Attendance, Terminal
from portal.extensions import db
from portal.models import Practice, PracticeGroup
from portal.timeutil import BERLIN, clock, today_berlin, utcnow

from . import factories as f
from .helpers import HX, register_and_pair
from .helpers import SIGNATURE_URL as SIGNATURE


@pytest.fixture
def course_day(app, world):
    with app.app_context():
        return f.course_day(world.group_a, world.practice_a1)


def test_a_chef_registers_and_pairs_a_terminal(app, as_user, world, course_day):
    tablet, code = register_and_pair(app, as_user(world.chef_a))
    page = tablet.get("/terminal").get_data(as_text=True)
    assert "Rücken fit" in page and "Herzsport" in page
    assert app.test_client().post("/terminal/koppeln", data={"code": code}).status_code == 422  # single use
    with app.app_context():
        assert db.session.scalars(select(Terminal)).one().paired_at is not None


def test_without_the_check_in_licence_no_terminal_is_registered(app, as_user, world):
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        g.licences = [lic for lic in g.licences if lic.kind != "checkin"]
        db.session.commit()
    html = as_user(world.chef_a).get("/kurse/terminals").get_data(as_text=True)
    assert "braucht Ihre Praxisgruppe die Check-in-Lizenz" in html
    as_user(world.chef_a).post("/kurse/terminals", data={"name": "X", "key": "Y"})
    with app.app_context():
        assert db.session.scalars(select(Terminal)).all() == []


def test_a_revoked_terminal_is_refused_at_once(app, as_user, world, course_day):
    chef = as_user(world.chef_a)
    tablet, _ = register_and_pair(app, chef)
    with app.app_context():
        terminal_id = db.session.scalars(select(Terminal.id)).one()
    chef.post(f"/kurse/terminals/{terminal_id}/sperren")
    response = tablet.get("/terminal")
    assert response.status_code == 403 and "Dieses Terminal ist gesperrt" in response.get_data(as_text=True)
    assert tablet.post(f"/terminal/kurs/{course_day['back']}/einchecken", data={}).status_code == 403


def test_an_unpaired_browser_gets_the_pairing_page(client):
    response = client.get("/terminal")
    assert response.status_code == 302 and response.headers["Location"].endswith("/terminal/koppeln")
    assert client.post("/terminal/koppeln", data={"code": "FALSCH12"}).status_code == 422


def _course_id(tablet, name):
    page = tablet.get("/terminal").get_data(as_text=True)
    return int(re.search(r'href="/terminal/kurs/(\d+)"[^>]*>\s*<span class="session-time">[^<]*</span>\s*'
                         rf'<span class="session-name">{name}</span>', page).group(1))


def _ticket(html: str) -> str:
    """The signed ticket naming who the terminal's first step identified."""
    return re.search(r'name="ticket" type="hidden" value="([^"]+)"', html).group(1)


def test_check_in_at_the_terminal_by_chip_with_a_signature(app, as_user, world, course_day):
    tablet, _ = register_and_pair(app, as_user(world.chef_a))
    course_id = _course_id(tablet, "Rücken fit")
    sign = tablet.post(f"/terminal/kurs/{course_id}", data={"chip": "4711"}).get_data(as_text=True)
    assert "Hallo Petra P." in sign and 'id="signature-pad"' in sign
    unsigned = tablet.post(f"/terminal/kurs/{course_id}/einchecken", data={"ticket": _ticket(sign)})
    assert unsigned.status_code == 422 and "Bitte unterschreiben Sie" in unsigned.get_data(as_text=True)
    done = tablet.post(f"/terminal/kurs/{course_id}/einchecken",
                       data={"ticket": _ticket(sign), "signature": SIGNATURE}).get_data(as_text=True)
    assert "Danke, Petra P.!" in done and "Noch 49 Einheiten" in done
    again = tablet.post(f"/terminal/kurs/{course_id}", data={"chip": "4711"})
    assert again.status_code == 422 and "bereits eingecheckt" in again.get_data(as_text=True)
    with app.app_context():
        attendance = db.session.scalars(select(Attendance)).one()
        assert attendance.terminal_id is not None and attendance.signature_png.startswith(b"\x89PNG")


def test_identification_by_name_and_birth_date(app, as_user, world, course_day):
    tablet, _ = register_and_pair(app, as_user(world.chef_a))
    course_id = _course_id(tablet, "Rücken fit")
    html = tablet.post(f"/terminal/kurs/{course_id}", data={"last_name": "pohl", "birth_date": "1950-05-01"})
    assert "Hallo Petra P." in html.get_data(as_text=True)
    html = tablet.post(f"/terminal/kurs/{course_id}", data={"last_name": "Pohl", "birth_date": "1950-05-02"})
    assert "Niemand gefunden" in html.get_data(as_text=True)
    with app.app_context():
        group = db.session.get(PracticeGroup, world.group_a)
        for first, last in (("Ömer", "Özdemir"), ("Şule", "Şahin"), ("Łukasz", "Łęcki"), ("Jürgen", "Groß")):
            f.participant(group, first, last, birth_date=date(1980, 1, 1))
        db.session.commit()
    decomposed = unicodedata.normalize("NFD", "Özdemir")  # how some keyboards send it
    for typed, greeting in (("Özdemir", "Ömer Ö."), ("özdemir", "Ömer Ö."), ("ÖZDEMIR", "Ömer Ö."),
                            (decomposed, "Ömer Ö."), ("şahin", "Şule Ş."), ("ŁĘCKI", "Łukasz Ł."),
                            ("GROSS", "Jürgen G."), (" groß ", "Jürgen G."), ("OEZDEMIR", "Ömer Ö.")):
        html = tablet.post(f"/terminal/kurs/{course_id}", data={"last_name": typed, "birth_date": "1980-01-01"})
        assert greeting in html.get_data(as_text=True) and "Niemand gefunden" not in html.get_data(as_text=True), typed


def test_a_springer_check_in_at_the_terminal_asks_for_the_reason(app, as_user, world, course_day):
    tablet, _ = register_and_pair(app, as_user(world.chef_a))
    course_id = _course_id(tablet, "Herzsport")
    sign = tablet.post(f"/terminal/kurs/{course_id}", data={"chip": "4711"}).get_data(as_text=True)
    assert "Grund für die Teilnahme als Springer" in sign
    refused = tablet.post(f"/terminal/kurs/{course_id}/einchecken", data={"ticket": _ticket(sign),
                                                                         "signature": SIGNATURE})
    assert refused.status_code == 422
    assert 'name="signature" type="hidden" value=""' in refused.get_data(as_text=True)  # sign again, knowingly
    done = tablet.post(f"/terminal/kurs/{course_id}/einchecken", data={
        "ticket": _ticket(sign), "signature": SIGNATURE, "springer_reason": "Eigener Kurs fällt aus"})
    assert "als Springer" in done.get_data(as_text=True)
    today = as_user(world.chef_a).get("/kurse/heute").get_data(as_text=True)
    assert "Springer</span> Eigener Kurs fällt aus" in today
    person = as_user(world.chef_a).get(f"/kurse/teilnehmer/{course_day['petra']}").get_data(as_text=True)
    assert "Herzsport" in person and "Springer: Eigener Kurs fällt aus" in person


def test_participants_prescriptions_and_memberships_in_the_portal(app, as_user, world, course_day):
    client = as_user(world.therapeut_a)
    bad = client.post("/kurse/teilnehmer", data={"first_name": "", "last_name": "X", "birth_date": "kaputt"})
    assert bad.status_code == 422 and "Bitte geben Sie einen Vornamen ein." in bad.get_data(as_text=True)
    taken = client.post("/kurse/teilnehmer", data={"first_name": "A", "last_name": "B", "birth_date": "1960-01-01",
                                                   "chip_id": "4711"})
    assert taken.status_code == 422 and "schon einer anderen Person zugeordnet" in taken.get_data(as_text=True)
    created = client.post("/kurse/teilnehmer", headers=HX, data={"first_name": "Karl", "last_name": "Kurz",
                                                                 "birth_date": "1955-03-04"}).get_data(as_text=True)
    assert "Karl Kurz ist angelegt." in created and '<div id="participants">' in created
    participant_url = re.search(r'href="(/kurse/teilnehmer/\d+)">Kurz, Karl', created).group(1)
    participant_id = int(participant_url.rsplit("/", 1)[1])
    added = client.post(f"/kurse/teilnehmer/{participant_id}/verordnungen", headers=HX, data={
        "kind": "rehasport", "units_approved": "50", "valid_months": "18", "payer": "TK"}).get_data(as_text=True)
    assert "Die Verordnung ist gespeichert." in added and 'data-remaining="50"' in added
    plain = client.post(f"/kurse/teilnehmer/{participant_id}/gruppen", data={"course_id": str(course_day["back"])})
    assert plain.status_code == 302 and plain.headers["Location"] == participant_url
    html = client.get(participant_url).get_data(as_text=True)
    assert "Karl Kurz gehört jetzt zur Gruppe „Rücken fit“." in html
    assert 'data-remaining="50"' in html and "Rücken fit" in html and "18 Monate ab der ersten Teilnahme" in html


def test_manual_check_in_and_the_monthly_attendance_list(app, as_user, world, course_day):
    client = as_user(world.chef_a)
    page = client.get("/kurse").get_data(as_text=True)
    assert f'action="/kurse/heute/{course_day["back"]}/einchecken"' in page
    response = client.post(f"/kurse/heute/{course_day['back']}/einchecken", follow_redirects=True, data={
        "participant_id": course_day["petra"], "signature": SIGNATURE})
    assert "Petra Pohl ist eingecheckt; noch 49 Einheiten." in response.get_data(as_text=True)
    refused = client.post(f"/kurse/heute/{course_day['back']}/einchecken", headers=HX, data={
        "participant_id": course_day["petra"], "signature": SIGNATURE})
    assert refused.status_code == 422 and "bereits eingecheckt" in refused.get_data(as_text=True)
    month = today_berlin().strftime("%Y-%m")
    sheet = client.get(f"/kurse/{course_day['back']}/anwesenheit?monat={month}").get_data(as_text=True)
    assert "Petra Pohl" in sheet and 'class="signature" src="data:image/png;base64,' in sheet
    rows = list(csv.reader(io.StringIO(client.get(
        f"/kurse/{course_day['back']}/anwesenheit.csv?monat={month}").get_data(as_text=True).lstrip("\ufeff")),
        delimiter=";"))
    assert rows[0][:3] == ["Datum", "Uhrzeit", "Teilnehmer"]
    assert rows[1][1:5] == ["09:00", "Petra Pohl", "01.05.1950", "nein"]
    with app.app_context():
        assert db.session.scalars(select(Attendance)).one().recorded_by_id is not None


def test_a_refused_manual_check_in_keeps_its_form_open_with_what_was_entered(app, as_user, world, course_day):
    client = as_user(world.chef_a)
    page = client.get("/kurse/heute").get_data(as_text=True)
    assert '<option value="">Bitte wählen …</option>' in page  # nobody is preselected
    refused = client.post(f"/kurse/heute/{course_day['heart']}/einchecken", headers=HX, data={
        "participant_id": course_day["petra"], "signature": "", "springer_reason": "Vertretung"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Bitte unterschreiben Sie" in html
    form = re.search(rf'<article id="course-{course_day["heart"]}">.*?</article>', html, re.S).group(0)
    assert re.search(r"<details[^>]* open>", form) and f'<option value="{course_day["petra"]}" selected>' in form
    assert "Vertretung</textarea>" in form
    other = re.search(rf'<article id="course-{course_day["back"]}">.*?</article>', html, re.S).group(0)
    assert not re.search(r"<details[^>]* open>", other) and "Vertretung" not in other and " selected>" not in other
    long = client.post(f"/kurse/heute/{course_day['heart']}/einchecken", headers=HX, data={
        "participant_id": course_day["petra"], "signature": SIGNATURE, "springer_reason": "x" * 301})
    assert long.status_code == 422 and "Höchstens 300 Zeichen" in long.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_another_groups_terminal_cannot_check_in_here(app, as_user, world, course_day):
    tablet, _ = register_and_pair(app, as_user(world.chef_a))
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_b)
        other = f.course(g, db.session.get(Practice, world.practice_b), name="Fremd", weekday=today_berlin().weekday(),
                         start=time(7))
        db.session.commit()
        other_id = other.id
    assert "Fremd" not in tablet.get("/terminal").get_data(as_text=True)
    assert tablet.get(f"/terminal/kurs/{other_id}").status_code == 404


def test_the_signature_step_checks_in_only_whom_the_first_step_identified(app, as_user, world, course_day):
    """A posted participant id, another course's or tablet's ticket, a forged or an old ticket: all
    refused, nobody checked in, no name given away."""
    clock.set(datetime.combine(today_berlin(), time(12), BERLIN))  # eleven minutes later is still today
    tablet, _ = register_and_pair(app, as_user(world.chef_a))
    back, heart = _course_id(tablet, "Rücken fit"), _course_id(tablet, "Herzsport")
    sign = tablet.post(f"/terminal/kurs/{back}", data={"chip": "4711"}).get_data(as_text=True)
    ticket = _ticket(sign)
    other_tablet, _ = register_and_pair(app, as_user(world.chef_a), key="TAB-02")
    attempts = [
        (tablet, back, {"participant_id": course_day["petra"], "signature": SIGNATURE}),
        (tablet, heart, {"ticket": ticket, "signature": SIGNATURE}),
        (other_tablet, back, {"ticket": ticket, "signature": SIGNATURE}),
        (tablet, back, {"ticket": ticket[:-2] + ("AA" if not ticket.endswith("AA") else "BB"), "signature": SIGNATURE}),
    ]
    for client, course_id, data in attempts:
        answer = client.post(f"/terminal/kurs/{course_id}/einchecken", data=data)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422 and "Die Anmeldung ist abgelaufen" in html and "Petra" not in html, data
    clock.set(utcnow() + timedelta(minutes=11))
    late = tablet.post(f"/terminal/kurs/{back}/einchecken", data={"ticket": ticket, "signature": SIGNATURE})
    assert late.status_code == 422 and "Die Anmeldung ist abgelaufen" in late.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_terminal_reasons_are_limited_like_the_form_says(app, as_user, world, course_day):
    tablet, _ = register_and_pair(app, as_user(world.chef_a))
    heart = _course_id(tablet, "Herzsport")
    sign = tablet.post(f"/terminal/kurs/{heart}", data={"chip": "4711"}).get_data(as_text=True)
    long = tablet.post(f"/terminal/kurs/{heart}/einchecken", data={
        "ticket": _ticket(sign), "signature": SIGNATURE, "springer_reason": "x" * 301})
    assert long.status_code == 422 and "Höchstens 300 Zeichen" in long.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_attendance_lists_are_reachable_for_every_course_and_month(app, as_user, world, course_day):
    client = as_user(world.chef_a)
    index = client.get("/kurse/anwesenheit").get_data(as_text=True)
    month = today_berlin().replace(day=1)
    assert f'href="/kurse/{course_day["back"]}/anwesenheit?monat={month:%Y-%m}"' in index
    assert f'href="/kurse/{course_day["heart"]}/anwesenheit?monat={month:%Y-%m}"' in index
    assert 'href="/kurse/anwesenheit"' in client.get("/kurse/heute").get_data(as_text=True)  # in the sub-navigation
    chosen = client.get(f"/kurse/anwesenheit/anzeigen?kurs={course_day['heart']}&monat=2026-03")
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith(
        f"/kurse/{course_day['heart']}/anwesenheit?monat=2026-03")
    march = client.get(f"/kurse/{course_day['heart']}/anwesenheit?monat=2026-03").get_data(as_text=True)
    assert "<strong>März 2026</strong>" in march
    heart = course_day["heart"]
    assert f'href="/kurse/{heart}/anwesenheit?monat=2026-02" rel="prev"' in march
    assert f'href="/kurse/{heart}/anwesenheit?monat=2026-04" rel="next"' in march
    current = client.get(f"/kurse/{course_day['heart']}/anwesenheit").get_data(as_text=True)
    assert 'rel="next"' not in current  # no list of a month still to come
    with app.app_context():
        other = f.course(db.session.get(PracticeGroup, world.group_b), db.session.get(Practice, world.practice_b),
                         name="Fremdkurs")
        db.session.commit()
        other_id = other.id
    assert client.get(f"/kurse/anwesenheit/anzeigen?kurs={other_id}&monat=2026-03").status_code == 404
    assert "Fremdkurs" not in client.get("/kurse/anwesenheit").get_data(as_text=True)


def test_the_printed_list_names_the_reason_for_a_third_visit(app, as_user, world, course_day):
    with app.app_context():
        attendance = f.attendance(course_day["back"], course_day["petra"], extra_reason="Nachholtermin")
        db.session.commit()
        month = attendance.session.day.strftime("%Y-%m")
    html = as_user(world.chef_a).get(f"/kurse/{course_day['back']}/anwesenheit?monat={month}").get_data(as_text=True)
    assert "Dritte Teilnahme in der Woche: Nachholtermin" in html
