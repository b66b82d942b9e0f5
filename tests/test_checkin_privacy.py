"""A participant's data under the DSGVO: the export (JSON and PDF), erasure on request, and the
retention job, run with an injected clock."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.checkin.models import Attendance, CourseMember, CourseSession, Participant, Prescription
from portal.checkin.privacy import ANONYMOUS, retention_job
from portal.checkin.services import CheckInRefused, check_in
from portal.extensions import db
from portal.models import Course, PracticeGroup
from portal.timeutil import clock

from . import factories as f
from .helpers import audit_entries, count_rows, signed_in
from .test_checkin_pdfs import signature_png

TODAY = datetime(2026, 12, 2, 10, tzinfo=UTC)


def _person(app, world, name: str, first_session: date | None, attended: int = 0) -> dict:
    """A participant of group A whose prescription began on ``first_session`` (18 months valid),
    with ``attended`` signed units in "Rücken fit"."""
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        course = db.session.scalar(select(Course).where(Course.group_id == g.id)) or f.course(
            g, g.practices[0], name="Rücken fit", weekday=0, start=time(9))
        person = f.participant(g, name, "Muster", chip_id=f"CHIP-{name}", member_of=course)
        prescription = person.prescriptions[0]
        prescription.first_session_on = first_session
        for n in range(attended):
            f.attendance(course.id, person.id, day=(first_session or date(2026, 1, 5)) + timedelta(weeks=n),
                         signature_png=signature_png(n))
        db.session.commit()
        return {"participant": person.id, "prescription": prescription.id, "course": course.id}


@pytest.fixture(autouse=True)
def _today():
    clock.set(TODAY)


def test_the_export_holds_everything_signatures_included_and_is_audited(app, world):
    ids = _person(app, world, "Greta", date(2026, 3, 2), attended=3)
    chef = signed_in(app, world.chef_a)
    page = chef.get(f"/kurse/teilnehmer/{ids['participant']}").get_data(as_text=True)
    assert "Datenauskunft als PDF" in page and "Daten löschen" in page
    response = chef.post(f"/kurse/teilnehmer/{ids['participant']}/datenauskunft", data={"format": "json"})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["participant"] == {"id": ids["participant"], "first_name": "Greta", "last_name": "Muster",
                                   "birth_date": "1950-05-01", "chip_id": "CHIP-Greta", "restricted_at": None}
    assert data["prescriptions"][0]["payer"] == "AOK" and data["course_groups"] == [
        {"id": ids["course"], "name": "Rücken fit"}]
    assert [a["day"] for a in data["attendances"]] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert base64.b64decode(data["attendances"][0]["signature_png_base64"]) == signature_png(0)
    assert data["kept_until"] == "2037-09-02"  # the prescription's end (18 months) plus 10 years
    assert data["information"]["recipients"] == "Kostenträger, denen Teilnahmen nachgewiesen werden: AOK."
    assert "Bis 02.09.2037" in data["information"]["storage"] and "Art. 77" in data["information"]["rights"]
    pdf = chef.post(f"/kurse/teilnehmer/{ids['participant']}/datenauskunft", data={"format": "pdf"})
    reader = PdfReader(io.BytesIO(pdf.data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Datenauskunft" in text and "Muster, Greta" in text and "CHIP-Greta" in text and "02.09.2037" in text
    assert "Rehasport, 50 Einheiten, Kostenträger: AOK" in text
    assert "Angaben nach Art. 15 DSGVO" in text and "Speicherdauer" in text and "Ihre Rechte" in text
    assert sum(len(p.images) for p in reader.pages) == 3
    assert [e[4]["format"] for e in audit_entries(app, "participant.exported")] == ["json", "pdf"]
    assert chef.post(f"/kurse/teilnehmer/{ids['participant']}/datenauskunft", data={"format": "xml"}
                     ).status_code == 400


def test_the_practice_team_cannot_export_or_erase(app, world):
    ids = _person(app, world, "Greta", None)
    team = signed_in(app, world.therapeut_a)
    assert "Datenauskunft" not in team.get(f"/kurse/teilnehmer/{ids['participant']}").get_data(as_text=True)
    assert team.post(f"/kurse/teilnehmer/{ids['participant']}/datenauskunft").status_code == 403
    assert team.post(f"/kurse/teilnehmer/{ids['participant']}/loeschen", data={"bestaetigt": "ja"}).status_code == 403


def test_erasure_is_refused_while_the_billing_proof_must_be_kept(app, world):
    ids = _person(app, world, "Greta", date(2026, 3, 2), attended=2)
    chef = signed_in(app, world.chef_a)
    response = chef.post(f"/kurse/teilnehmer/{ids['participant']}/loeschen", data={"bestaetigt": "ja"},
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "wird am 02.09.2037 gelöscht" in html and "ist die Verarbeitung eingeschränkt (Art. 18 DSGVO)" in html
    assert count_rows(app, Participant, id=ids["participant"]) == 1 and count_rows(app, Attendance) == 2
    assert audit_entries(app, "participant.erased") == []
    # restricted meanwhile: no chip, no course group, no more check-ins; audited; no second button
    with app.app_context():
        person = db.session.get(Participant, ids["participant"])
        assert person.restricted_at is not None and person.chip_id is None
        assert count_rows(app, CourseMember) == 0
        with pytest.raises(CheckInRefused, match="eingeschränkt"):
            check_in(person, db.session.get(Course, ids["course"]), date(2026, 3, 23), signature_png(9))
    assert [e[4]["until"] for e in audit_entries(app, "participant.restricted")] == ["2037-09-02"]
    page = chef.get(f"/kurse/teilnehmer/{ids['participant']}").get_data(as_text=True)
    assert "ist die Verarbeitung eingeschränkt" in page and "Daten löschen" not in page
    assert "Verordnung speichern" not in page and "Zur Gruppe hinzufügen" not in page
    # and nothing brings the person back: no prescription, group or chip
    for url, data in ((f"/kurse/teilnehmer/{ids['participant']}/verordnungen",
                       {"kind": "rehasport", "units_approved": "20", "valid_months": "12", "payer": "TK"}),
                      (f"/kurse/teilnehmer/{ids['participant']}/gruppen", {"course_id": ids["course"]})):
        refused = chef.post(url, data=data, follow_redirects=True)
        assert "Die Verarbeitung der Daten von Greta Muster ist eingeschränkt" in refused.get_data(as_text=True)
    chip = chef.post(f"/kurse/teilnehmer/{ids['participant']}/bearbeiten", data={
        "first_name": "Greta", "last_name": "Muster", "birth_date": "1950-05-01", "chip_id": "NEU"})
    assert chip.status_code == 422 and "kein Chip" in chip.get_data(as_text=True)
    assert count_rows(app, Prescription) == 1 and count_rows(app, CourseMember) == 0
    pdf = chef.post(f"/kurse/teilnehmer/{ids['participant']}/datenauskunft", data={"format": "pdf"})
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "eingeschränkt seit" in text


def test_erasure_on_request_removes_everything_when_nothing_was_billed(app, world):
    ids = _person(app, world, "Greta", None)
    chef = signed_in(app, world.chef_a)
    unconfirmed = chef.post(f"/kurse/teilnehmer/{ids['participant']}/loeschen", follow_redirects=True)
    assert "Bitte bestätigen Sie das Löschen" in unconfirmed.get_data(as_text=True)
    assert count_rows(app, Participant, id=ids["participant"]) == 1
    response = chef.post(f"/kurse/teilnehmer/{ids['participant']}/loeschen", data={"bestaetigt": "ja"},
                         follow_redirects=True)
    assert "Die Daten von Greta Muster sind gelöscht." in response.get_data(as_text=True)
    assert count_rows(app, Participant, id=ids["participant"]) == 0 and count_rows(app, Prescription) == 0
    assert count_rows(app, CourseMember) == 0
    assert [e[4]["participant_id"] for e in audit_entries(app, "participant.erased")] == [ids["participant"]]


def test_the_payers_details_and_a_late_checkins_reason_are_exported_and_removed_in_time(app, world):
    """Issue 24: the Versichertennummer and the rest of the payer's details are personal data too."""
    ids = _person(app, world, "Greta", date(2014, 1, 6), attended=1)
    with app.app_context():
        prescription = db.session.get(Prescription, ids["prescription"])
        prescription.insurance_number, prescription.approval_number = "A123456789", "G-42"
        prescription.prescribed_on = date(2013, 12, 20)
        db.session.scalars(select(Attendance)).one().late_reason = "Tablet war aus"
        db.session.commit()
    chef = signed_in(app, world.chef_a)
    data = json.loads(chef.post(f"/kurse/teilnehmer/{ids['participant']}/datenauskunft", data={"format": "json"}).data)
    assert (data["prescriptions"][0]["insurance_number"], data["prescriptions"][0]["prescribed_on"]) == (
        "A123456789", "2013-12-20")
    assert data["attendances"][0]["late_reason"] == "Tablet war aus"
    pdf = chef.post(f"/kurse/teilnehmer/{ids['participant']}/datenauskunft", data={"format": "pdf"})
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Versichertennummer: A123456789" in text
    with app.app_context():
        assert retention_job()["anonymised"] == 1
        prescription = db.session.get(Prescription, ids["prescription"])
        assert (prescription.insurance_number, prescription.approval_number, prescription.prescribed_on) == (
            "", "", None)
        assert db.session.scalars(select(Attendance.late_reason)).one() is None


def test_the_retention_job_removes_exactly_what_is_past_the_period(app, world):
    old = _person(app, world, "Alt", date(2014, 1, 6), attended=2)  # ended 07/2015: past 10 years
    unused = _person(app, world, "Leer", None)
    recent = _person(app, world, "Neu", date(2017, 1, 2), attended=1)  # ended 07/2018: kept until 2028
    with app.app_context():  # the unused one was entered in 2014
        db.session.get(Prescription, unused["prescription"]).created_at = datetime(2014, 5, 1, tzinfo=UTC)
        db.session.commit()
    with app.app_context():
        report = retention_job()
    assert report == {"anonymised": 1, "deleted": 1, "signatures": 2}
    with app.app_context():
        anonymised = db.session.get(Participant, old["participant"])
        assert (anonymised.first_name, anonymised.last_name, anonymised.chip_id) == ("", ANONYMOUS, None)
        assert anonymised.birth_date == date(1900, 1, 1)
        rows = db.session.scalars(select(Attendance).where(Attendance.participant_id == old["participant"])).all()
        assert len(rows) == 2 and {r.signature_png for r in rows} == {b""}  # counted, without signature
        assert db.session.get(Prescription, old["prescription"]).payer == ""
        assert db.session.get(Participant, unused["participant"]) is None
        kept = db.session.get(Participant, recent["participant"])
        assert kept.first_name == "Neu" and db.session.scalar(
            select(Attendance.signature_png).where(Attendance.participant_id == kept.id)) == signature_png(0)
        assert db.session.scalar(select(func.count(CourseSession.id))) == 3  # the sessions' counts stay
    [(_, _, _, _, details)] = audit_entries(app, "checkin.retention")
    assert details == {"anonymised": 1, "deleted": 1, "signatures": 2}
    with app.app_context():
        assert retention_job() == {"anonymised": 0, "deleted": 0, "signatures": 0}  # nothing twice
    clock.set(datetime(2028, 7, 3, 10, tzinfo=UTC))  # the recent one's period is over too
    with app.app_context():
        assert retention_job()["anonymised"] == 1
