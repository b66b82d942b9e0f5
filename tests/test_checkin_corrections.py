"""Corrections at the front desk: a check-in cancelled with a reason (kept, struck through, audited,
no longer counted) or moved to another session of the day through the check-in rules; participants
and prescriptions edited."""

import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from portal.checkin.models import Attendance, Participant, Prescription
from portal.extensions import db
from portal.models import AuditEvent, Course, PracticeGroup
from portal.timeutil import today_berlin

from . import factories as f
from .helpers import HX, SIGNATURE_URL, audit_actions


@pytest.fixture
def desk(app, as_user, world):
    """Today's two courses, Petra checked in to "Rücken fit" in the portal; the chef's client."""
    with app.app_context():
        ids = f.course_day(world.group_a, world.practice_a1)
    chef = as_user(world.chef_a)
    checked = chef.post(f"/kurse/heute/{ids['back']}/einchecken",
                        data={"participant_id": ids["petra"], "signature": SIGNATURE_URL})
    assert checked.status_code == 302
    with app.app_context():
        ids["attendance"] = db.session.scalars(select(Attendance.id)).one()
    return chef, ids


def _attendance(app, attendance_id) -> Attendance:
    with app.app_context():
        attendance = db.session.get(Attendance, attendance_id)
        db.session.expunge(attendance)
        return attendance


def _remaining(app, participant_id) -> int:
    with app.app_context():
        from portal.checkin.services import remaining_units
        return remaining_units(db.session.scalars(select(Prescription).where(
            Prescription.participant_id == participant_id)).one())


def test_a_cancelled_check_in_stays_struck_through_and_no_longer_counts(app, desk):
    chef, ids = desk
    assert _remaining(app, ids["petra"]) == 49
    page = chef.get(f"/kurse/teilnahmen/{ids['attendance']}").get_data(as_text=True)
    assert "Teilnahme von Petra Pohl" in page and "Rücken fit" in page and 'alt="Unterschrift von Petra Pohl"' in page
    empty = chef.post(f"/kurse/teilnahmen/{ids['attendance']}/stornieren", data={"reason": "  "})
    assert empty.status_code == 422 and "Bitte geben Sie einen Grund für die Stornierung an." in empty.get_data(
        as_text=True)
    assert _attendance(app, ids["attendance"]).cancelled_at is None
    done = chef.post(f"/kurse/teilnahmen/{ids['attendance']}/stornieren", data={"reason": "Falsche Person gewählt"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/kurse")
    cancelled = _attendance(app, ids["attendance"])
    assert cancelled.cancel_reason == "Falsche Person gewählt" and cancelled.cancelled_by_id is not None
    assert _remaining(app, ids["petra"]) == 50
    today = chef.get("/kurse/heute").get_data(as_text=True)
    assert "<del>Petra Pohl</del>" in today and "storniert: Falsche Person gewählt" in today
    assert "0 eingecheckt, davon 0 Springer" in today
    assert "checkin.cancelled" in audit_actions(app)
    again = chef.post(f"/kurse/teilnahmen/{ids['attendance']}/stornieren", data={"reason": "noch mal"})
    assert again.status_code == 422 and "bereits storniert" in again.get_data(as_text=True)
    with app.app_context():  # the first check-in no longer sets the prescription's validity
        assert db.session.scalars(select(Prescription.first_session_on)).one() is None
    redo = chef.post(f"/kurse/heute/{ids['back']}/einchecken",
                     data={"participant_id": ids["petra"], "signature": SIGNATURE_URL})
    assert redo.status_code == 302  # the same session once more: the cancelled one does not stand in the way
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id))) == 2
        assert db.session.scalars(select(Prescription.first_session_on)).one() == today_berlin()


def test_a_cancelled_check_in_leaves_the_week_and_the_billing_outputs(app, desk):
    chef, ids = desk
    chef.post(f"/kurse/teilnahmen/{ids['attendance']}/stornieren", data={"reason": "Versehen"})
    month = today_berlin().strftime("%Y-%m")
    listing = chef.get(f"/kurse/{ids['back']}/anwesenheit?monat={month}").get_data(as_text=True)
    assert "<del>Petra Pohl</del>" in listing and "Storniert: Versehen" in listing
    csv_rows = chef.get(f"/kurse/{ids['back']}/anwesenheit.csv?monat={month}").get_data(as_text=True).splitlines()
    assert len(csv_rows) == 1  # the header only
    with app.app_context():
        prescription_id = db.session.scalars(select(Prescription.id)).one()
    import io

    from pypdf import PdfReader
    proof = chef.get(f"/kurse/verordnungen/{prescription_id}/teilnahmenachweis.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(proof.data)).pages)
    assert "Rücken fit" not in text and "50" in text


def test_moving_a_check_in_goes_through_the_rules(app, desk):
    chef, ids = desk
    page = chef.get(f"/kurse/teilnahmen/{ids['attendance']}").get_data(as_text=True)
    assert "18:00 – Herzsport</option>" in page and "Rücken fit</option>" not in page  # the day's other sessions
    refused = chef.post(f"/kurse/teilnahmen/{ids['attendance']}/verschieben", data={"course_id": ids["heart"]})
    assert refused.status_code == 422
    assert "Petra Pohl gehört nicht zu dieser Gruppe" in refused.get_data(as_text=True)
    assert _attendance(app, ids["attendance"]).cancelled_at is None  # a refusal changes nothing
    moved = chef.post(f"/kurse/teilnahmen/{ids['attendance']}/verschieben",
                      data={"course_id": ids["heart"], "springer_reason": "Eigene Gruppe war voll"})
    assert moved.status_code == 302
    old = _attendance(app, ids["attendance"])
    assert old.cancel_reason == "Verschoben nach „Herzsport“ (18:00 Uhr)"
    with app.app_context():
        new = db.session.scalars(select(Attendance).where(Attendance.cancelled_at.is_(None))).one()
        assert (new.session.course_id, new.springer, new.signature_png) == (ids["heart"], True, old.signature_png)
        assert new.checked_in_at == old.checked_in_at
    assert _remaining(app, ids["petra"]) == 49  # one unit, as before
    assert audit_actions(app)[-2:] == ["checkin.recorded", "checkin.moved"]
    again = chef.post(f"/kurse/teilnahmen/{ids['attendance']}/verschieben", data={"course_id": ids["heart"]})
    assert again.status_code == 422


def test_a_check_in_moves_only_within_its_day(app, desk, world):
    chef, ids = desk
    with app.app_context():
        group = db.session.get(PracticeGroup, world.group_a)
        other_day = f.course(group, group.practices[0], name="Morgen",
                             weekday=(today_berlin().weekday() + 1) % 7, start=time(10))
        db.session.commit()
        other_id = other_day.id
    for chosen in (other_id, "", "abc"):
        bad = chef.post(f"/kurse/teilnahmen/{ids['attendance']}/verschieben", data={"course_id": chosen})
        assert bad.status_code == 422 and "Bitte wählen Sie einen Termin." in bad.get_data(as_text=True), chosen
    assert _attendance(app, ids["attendance"]).cancelled_at is None


def test_another_group_cannot_correct_a_check_in(app, desk, world):
    from .helpers import signed_in
    _, ids = desk
    other = signed_in(app, world.chef_b)
    assert other.get(f"/kurse/teilnahmen/{ids['attendance']}").status_code == 404
    assert other.post(f"/kurse/teilnahmen/{ids['attendance']}/stornieren", data={"reason": "x"}).status_code == 404


def test_a_participant_is_corrected_and_the_change_audited(app, desk, world):
    chef, ids = desk
    with app.app_context():
        f.participant(db.session.get(PracticeGroup, world.group_a), "Karl", "Kern", chip_id="0815")
        db.session.commit()
    form = chef.get(f"/kurse/teilnehmer/{ids['petra']}/bearbeiten").get_data(as_text=True)
    assert 'value="Pohl"' in form and 'value="4711"' in form
    taken = chef.post(f"/kurse/teilnehmer/{ids['petra']}/bearbeiten", data={
        "first_name": "Petra", "last_name": "Pohl", "birth_date": "1950-05-01", "chip_id": "0815"})
    assert taken.status_code == 422 and "Dieser Chip ist schon einer anderen Person zugeordnet." in taken.get_data(
        as_text=True)
    bad = chef.post(f"/kurse/teilnehmer/{ids['petra']}/bearbeiten", data={
        "first_name": "", "last_name": "Pohl", "birth_date": "31.02.1950", "chip_id": ""})
    assert bad.status_code == 422 and "Bitte geben Sie einen Vornamen ein." in bad.get_data(as_text=True)
    same = chef.post(f"/kurse/teilnehmer/{ids['petra']}/bearbeiten", data={
        "first_name": "Petra", "last_name": "Pohl", "birth_date": "1950-05-01", "chip_id": "4711"})
    assert same.status_code == 302  # her own chip is no conflict
    done = chef.post(f"/kurse/teilnehmer/{ids['petra']}/bearbeiten", data={
        "first_name": "Petra", "last_name": "Pohl-Meier", "birth_date": "1950-05-02", "chip_id": ""})
    assert done.status_code == 302
    with app.app_context():
        person = db.session.get(Participant, ids["petra"])
        assert (person.last_name, person.birth_date, person.chip_id) == ("Pohl-Meier", date(1950, 5, 2), None)
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "participant.updated")).one()
        assert event.details["fields"] == ["last_name", "birth_date", "chip_id"]
        assert "Pohl" not in str(event.details)  # no copy of the old name in the log
    assert "Petra Pohl-Meier" in chef.get(f"/kurse/teilnehmer/{ids['petra']}").get_data(as_text=True)


def test_a_prescription_is_corrected_within_what_was_taken(app, desk):
    chef, ids = desk
    with app.app_context():
        prescription_id = db.session.scalars(select(Prescription.id)).one()
    url = f"/kurse/verordnungen/{prescription_id}/bearbeiten"
    assert "Noch 49 Einheiten übrig." in chef.get(url).get_data(as_text=True)
    too_few = chef.post(url, data={"units_approved": "0", "valid_months": "18", "payer": "AOK"})
    assert too_few.status_code == 422
    with app.app_context():  # two taken now: a second check-in last week
        f.attendance(ids["back"], ids["petra"], day=today_berlin() - timedelta(days=7))
        db.session.commit()
    below = chef.post(url, data={"units_approved": "1", "valid_months": "18", "payer": "AOK"})
    assert below.status_code == 422 and "Es sind bereits 2 Einheiten genommen" in below.get_data(as_text=True)
    done = chef.post(url, data={"units_approved": "20", "valid_months": "12", "payer": "TK"})
    assert done.status_code == 302
    with app.app_context():
        prescription = db.session.get(Prescription, prescription_id)
        assert (prescription.units_approved, prescription.valid_months, prescription.payer) == (20, 12, "TK")
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "prescription.updated")).one()
        assert event.details["changes"] == {"units_approved": 20, "valid_months": 12, "payer": "TK"}
    assert _remaining(app, ids["petra"]) == 18


def test_a_new_prescription_offers_the_kind_only_when_it_is_clear_and_takes_its_usual_terms(app, desk):
    """Issue 24, items 12 and 14: the kind starts with "Bitte wählen …" unless the person's groups
    are of one kind; Rehasport's 50 units in 18 months, Funktionstraining's 12 months."""
    chef, ids = desk
    page = chef.get(f"/kurse/teilnehmer/{ids['petra']}").get_data(as_text=True)  # Petra: a Rehasport group
    kind = page.split('id="kind"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'<option[^>]* selected value="rehasport"', kind) and 'data-months="12"' in kind
    assert 'value="50"' in page.split('id="units_approved"', 1)[1][:200]
    membership = page.split('id="course_id"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'^[^<]*<option (selected )?value="">Bitte wählen …', membership) and not re.search(
        r'selected value="\w', membership)
    with app.app_context():
        g = db.session.get(PracticeGroup, _group(app, ids))
        karl = f.participant(g, "Karl", "Kurz", units=None)
        db.session.commit()
        karl_id = karl.id
    page = chef.get(f"/kurse/teilnehmer/{karl_id}").get_data(as_text=True)  # in no group: no guess
    kind = page.split('id="kind"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'^[^<]*<option (selected )?value="">Bitte wählen …', kind) and not re.search(
        r'selected value="\w', kind)
    unchosen = chef.post(f"/kurse/teilnehmer/{karl_id}/verordnungen", data={"kind": "", "units_approved": "",
                                                                          "valid_months": ""})
    assert unchosen.status_code == 422 and "Bitte wählen Sie Rehasport oder Funktionstraining." in \
        unchosen.get_data(as_text=True)
    for kind, terms in (("funktionstraining", (104, 12)), ("rehasport", (50, 18))):
        chef.post(f"/kurse/teilnehmer/{karl_id}/verordnungen", data={"kind": kind, "units_approved": "",
                                                                   "valid_months": "", "insurance_number": "X1"})
        with app.app_context():
            made = db.session.scalars(select(Prescription).where(Prescription.participant_id == karl_id)
                                      .order_by(Prescription.id.desc())).first()
            assert (made.kind, made.units_approved, made.valid_months, made.insurance_number) == (kind, *terms, "X1")


def _group(app, ids) -> int:
    with app.app_context():
        return db.session.get(Participant, ids["petra"]).group_id


def test_a_correction_leads_back_to_where_the_check_in_is_listed(app, desk):
    chef, ids = desk
    today = chef.get(f"/kurse/teilnahmen/{ids['attendance']}").get_data(as_text=True)
    assert '<a href="/kurse">Heutige Kurse</a>' in today
    last_week = today_berlin() - timedelta(days=7)
    with app.app_context():
        earlier = f.attendance(ids["back"], ids["petra"], day=last_week)
        db.session.commit()
        earlier_id = earlier.id
    page = chef.get(f"/kurse/teilnahmen/{earlier_id}").get_data(as_text=True)
    monthly = f"/kurse/{ids['back']}/anwesenheit?monat={last_week:%Y-%m}"
    assert f'<a href="{monthly}">Anwesenheitsliste Rücken fit</a>' in page
    done = chef.post(f"/kurse/teilnahmen/{earlier_id}/stornieren", data={"reason": "Doppelt erfasst"})
    assert done.status_code == 302 and done.headers["Location"].endswith(monthly)


# --- the day's sessions: who is expected, forgotten check-ins, the reasons the rules ask for ------

def _week_ago() -> date:
    return today_berlin() - timedelta(days=7)


def test_todays_page_lists_who_is_expected_beside_who_came(app, desk):
    """Issue 24, item 13: the members with a usable prescription are expected; who came is not
    offered again; a member without a usable prescription is named apart."""
    chef, ids = desk
    with app.app_context():
        g = db.session.get(PracticeGroup, _group(app, ids))
        back = db.session.get(Course, ids["back"])
        ute = f.participant(g, "Ute", "Urban", member_of=back)
        otto = f.participant(g, "Otto", "Ohne", member_of=back, units=None)  # no prescription
        karl = f.participant(g, "Karl", "Kurz")  # no member: a possible Springer
        db.session.commit()
        ute_id, otto_id, karl_id = ute.id, otto.id, karl.id
    page = chef.get("/kurse/heute").get_data(as_text=True)
    article = page.split(f'<article id="course-{ids["back"]}">')[1].split("</article>")[0]
    expected = article.split('class="expected"')[1].split("</ul>")[0]
    assert "Petra Pohl" in expected and "Ute Urban" in expected and "Otto" not in expected
    assert "eingecheckt" in expected.split("Petra Pohl")[1].split("</li>")[0]  # Petra came
    assert f"/kurse?kurs={ids['back']}&amp;person={ute_id}#checkin-{ids['back']}" in expected
    assert "Mitglieder ohne gültige Verordnung (der Check-in würde abgelehnt): Otto Ohne" in article
    offered = article.split('name="participant_id"')[1].split("</select>")[0]
    assert f'value="{ids["petra"]}"' not in offered  # checked in: not offered again
    assert offered.index(f'value="{ute_id}"') < offered.index("Weitere Teilnehmer") < offered.index(
        f'value="{karl_id}"') and f'value="{otto_id}"' in offered
    assert "<textarea" not in article  # no reason field until the rules ask for one
    chosen = chef.get(f"/kurse/heute?kurs={ids['back']}&person={ute_id}").get_data(as_text=True)
    form = chosen.split(f'<article id="course-{ids["back"]}">')[1].split("</article>")[0]
    assert re.search(r"<details[^>]* open>", form) and f'<option value="{ute_id}" selected>' in form


def test_the_reason_fields_appear_only_when_the_rules_ask_for_them(app, desk):
    chef, ids = desk
    with app.app_context():
        g = db.session.get(PracticeGroup, _group(app, ids))
        ute = f.participant(g, "Ute", "Urban", member_of=db.session.get(Course, ids["heart"]))  # a Springer in "back"
        otto = f.participant(g, "Otto", "Ohne", units=None)
        db.session.commit()
        ute_id, otto_id = ute.id, otto.id
    rules = f"/kurse/tag/{today_berlin().isoformat()}/{ids['back']}/pruefen"

    def ask(person_id):
        return chef.get(f"{rules}?participant_id={person_id}", headers={"HX-Request": "true"}).get_data(as_text=True)

    springer = ask(ute_id)
    assert 'name="springer_reason"' in springer and 'name="extra_reason"' not in springer
    assert "<textarea" not in ask("")
    refused = ask(otto_id)
    assert "Für Rehasport liegt keine Verordnung vor." in refused and "<textarea" not in refused
    with app.app_context():
        f.attendance(ids["heart"], ute_id, day=today_berlin())
        db.session.commit()
    heart_rules = f"/kurse/tag/{today_berlin().isoformat()}/{ids['heart']}/pruefen?participant_id={ute_id}"
    assert "bereits eingecheckt" in chef.get(heart_rules).get_data(as_text=True)
    assert audit_actions(app) == ["checkin.recorded"]  # looking ahead records nothing


def test_a_forgotten_check_in_is_entered_on_its_day_with_a_reason_and_audited(app, desk):
    chef, ids = desk
    day = _week_ago()
    with app.app_context():
        g = db.session.get(PracticeGroup, _group(app, ids))
        ute = f.participant(g, "Ute", "Urban", member_of=db.session.get(Course, ids["back"]))
        db.session.commit()
        ute_id = ute.id
    opened = chef.get(f"/kurse/tag?datum={day.isoformat()}")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/kurse/tag/{day.isoformat()}"
    page = chef.get(opened.headers["Location"]).get_data(as_text=True)
    weekday = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"][day.weekday()]
    assert f"Kurse am {weekday}, {day:%d.%m.%Y}" in page and "Nachtrag" in page and 'name="late_reason"' in page
    assert "Zu klären" not in page
    url = f"/kurse/tag/{day.isoformat()}/{ids['back']}/einchecken"
    nameless = chef.post(url, headers=HX, data={"participant_id": ute_id, "signature": SIGNATURE_URL})
    assert nameless.status_code == 422 and "warum der Check-in nachgetragen wird" in nameless.get_data(as_text=True)
    done = chef.post(url, headers=HX, data={"participant_id": ute_id, "signature": SIGNATURE_URL,
                                            "late_reason": "Tablet war aus, Liste auf Papier"})
    assert done.status_code == 200 and "Ute Urban ist eingecheckt" in done.get_data(as_text=True)
    assert "nachgetragen: Tablet war aus, Liste auf Papier" in done.get_data(as_text=True)
    with app.app_context():
        attendance = db.session.scalars(select(Attendance).where(Attendance.participant_id == ute_id)).one()
        assert (attendance.session.day, attendance.late_reason) == (day, "Tablet war aus, Liste auf Papier")
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "checkin.added_later" and event.details["late_reason"] == "Tablet war aus, Liste " \
                                                                                          "auf Papier"
    log = chef.get("/protokoll").get_data(as_text=True)
    assert "Check-in nachgetragen" in log and "Grund für den Nachtrag:</span> Tablet war aus" in log
    future = chef.get(f"/kurse/tag?datum={(today_berlin() + timedelta(days=7)).isoformat()}", follow_redirects=True)
    assert "Für einen künftigen Tag lässt sich nichts nachtragen." in future.get_data(as_text=True)
    assert chef.get(f"/kurse/tag/{(today_berlin() + timedelta(days=1)).isoformat()}").status_code == 404
    assert chef.get("/kurse/tag/kein-datum").status_code == 404
    assert chef.get(f"/kurse/tag/{today_berlin().isoformat()}").status_code == 404  # today is today's page
