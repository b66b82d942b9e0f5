"""Appointments and courses per therapist (rule 1)."""

import re
from datetime import UTC, datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import Appointment, AuditEvent, Course, Practice, PracticeGroup, Therapist

from . import factories as f
from .helpers import HX, count_rows


def test_add_appointment_in_berlin_time_and_see_it_listed(app, as_user, world):
    client = as_user(world.therapeut_a)
    response = client.post(f"/therapeuten/{world.therapist_a}/termine", headers=HX, data={
        "title": "Manuelle Therapie", "day": "2026-11-26", "start": "14:30", "duration_minutes": "45",
        "practice_id": str(world.practice_a1)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="schedule"')
    assert "Termin „Manuelle Therapie“ hinzugefügt." in html
    assert "26.11.2026, 14:30 Uhr" in html
    with app.app_context():
        a = db.session.scalars(select(Appointment)).one()
        assert a.starts_at == datetime(2026, 11, 26, 13, 30, tzinfo=UTC)  # CET is UTC+1
        assert db.session.scalars(select(AuditEvent.action)).all() == ["appointment.added"]


def test_adding_an_appointment_makes_rule_one_hold(app, as_user, world):
    client = as_user(world.chef_a)
    assert "Kein Termin und kein Kurs zugeordnet" in client.get(f"/therapeuten/{world.therapist_a}",
                                                                  headers=HX).get_data(as_text=True)
    client.post(f"/therapeuten/{world.therapist_a}/termine", headers=HX, data={
        "title": "KG", "day": "2026-12-01", "start": "09:00", "duration_minutes": "30",
        "practice_id": str(world.practice_a1)})
    html = client.get(f"/therapeuten/{world.therapist_a}", headers=HX).get_data(as_text=True)
    assert "Mindestens ein Termin oder Kurs zugeordnet" in html


def test_invalid_appointment_is_refused_with_german_messages(app, as_user, world):
    client = as_user(world.chef_a)
    response = client.post(f"/therapeuten/{world.therapist_a}/termine", headers=HX, data={
        "title": "", "day": "31.02.2026", "start": "25:99", "duration_minutes": "0",
        "practice_id": str(world.practice_b)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Bitte geben Sie eine Bezeichnung ein", "Bitte geben Sie ein gültiges Datum ein.",
                    "Bitte geben Sie eine gültige Uhrzeit ein.", "zwischen 5 und 480 Minuten",
                    "Bitte wählen Sie eine Praxis."):
        assert message in html
    assert count_rows(app, Appointment) == 0 and count_rows(app, AuditEvent) == 0


def test_remove_appointment(app, as_user, world):
    with app.app_context():
        a = f.appointment(db.session.get(Therapist, world.therapist_a), db.session.get(Practice, world.practice_a1))
        db.session.commit()
        appointment_id = a.id
    response = as_user(world.chef_a).post(
        f"/therapeuten/{world.therapist_a}/termine/{appointment_id}/entfernen", headers=HX)
    assert "Termin entfernt." in response.get_data(as_text=True)
    assert count_rows(app, Appointment) == 0
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action)).all() == ["appointment.removed"]


def test_create_course_for_the_therapist(app, as_user, world):
    response = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/kurse", headers=HX, data={
        "kind": "funktionstraining", "name": "Wassergymnastik", "weekday": "1", "start_time": "17:30",
        "duration_minutes": "45", "practice_id": str(world.practice_a2)})
    html = response.get_data(as_text=True)
    assert "Kurs „Wassergymnastik“ angelegt." in html and "Dienstag, 17:30 Uhr" in html
    with app.app_context():
        c = db.session.scalars(select(Course)).one()
        assert (c.therapist_id, c.kind, c.capacity) == (world.therapist_a, "funktionstraining", 15)


def test_invalid_course_is_refused(app, as_user, world):
    response = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/kurse", headers=HX, data={
        "kind": "yoga", "name": "", "weekday": "9", "start_time": "", "duration_minutes": "500",
        "practice_id": str(world.practice_a2)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Bitte wählen Sie Rehasport oder Funktionstraining.", "Bitte geben Sie einen Kursnamen ein.",
                    "Bitte wählen Sie einen Wochentag.", "Bitte geben Sie eine gültige Uhrzeit ein.",
                    "zwischen 15 und 240 Minuten"):
        assert message in html
    assert count_rows(app, Course) == 0


def test_assign_an_existing_course_and_remove_it_again(app, as_user, world):
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        c = f.course(g, db.session.get(Practice, world.practice_a1), None, "Herzsport")
        db.session.commit()
        course_id = c.id
    client = as_user(world.chef_a)
    page = client.get(f"/therapeuten/{world.therapist_a}/termine").get_data(as_text=True)
    assert "Herzsport (Rehasport, Montag 09:00)" in page
    html = client.post(f"/therapeuten/{world.therapist_a}/kurse/zuordnen", headers=HX,
                       data={"course_id": str(course_id)}).get_data(as_text=True)
    assert "Kurs „Herzsport“ zugeordnet." in html
    html = client.post(f"/therapeuten/{world.therapist_a}/kurse/{course_id}/entfernen",
                       headers=HX).get_data(as_text=True)
    assert "nicht mehr zugeordnet" in html
    with app.app_context():
        assert db.session.get(Course, course_id).therapist_id is None  # the course itself stays
        assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
            "course.assigned", "course.unassigned"]


def test_schedule_page_without_htmx_redirects_after_a_change(as_user, world):
    response = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/termine", data={
        "title": "KG", "day": "2026-12-01", "start": "09:00", "duration_minutes": "30",
        "practice_id": str(world.practice_a1)})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/therapeuten/{world.therapist_a}/termine"


def _selected(html: str, select_id: str) -> str | None:
    """The value of the option a select starts with (its first when none is marked)."""
    block = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    marked = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', block)
    first = re.search(r'<option[^>]*value="([^"]*)"', block)
    return next(value for value in marked.groups() if value is not None) if marked else first.group(1)


def test_no_select_on_the_schedule_starts_with_a_real_choice(app, as_user, world):
    """Issue 24, item 12: "Vorhandener Kurs", the course kind and weekday started on a real choice
    and assigned by accident; the therapist's only practice was not preselected."""
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        f.course(g, db.session.get(Practice, world.practice_a1), None, "Herzsport")
        db.session.commit()
    client = as_user(world.chef_a)
    page = client.get(f"/therapeuten/{world.therapist_a}/termine").get_data(as_text=True)
    for select_id in ("course_id", "kind", "course-weekday"):
        assert _selected(page, select_id) == "", select_id
    assert "Bitte wählen …" in page.split('id="course_id"', 1)[1].split("</select>")[0]
    # Anna works only in "Praxis am Markt" (the group has two): that is the one sensible choice
    assert _selected(page, "appointment-practice") == str(world.practice_a1)
    assert _selected(page, "course-practice") == str(world.practice_a1)
    unchosen = client.post(f"/therapeuten/{world.therapist_a}/kurse/zuordnen", headers=HX, data={"course_id": ""})
    assert unchosen.status_code == 422 and "Bitte wählen Sie einen Kurs Ihrer Praxisgruppe." in unchosen.get_data(
        as_text=True)
    assert count_rows(app, AuditEvent) == 0
    with app.app_context():  # two practices of her own: no preselection
        anna = db.session.get(Therapist, world.therapist_a)
        anna.practices.append(db.session.get(Practice, world.practice_a2))
        db.session.commit()
    page = client.get(f"/therapeuten/{world.therapist_a}/termine").get_data(as_text=True)
    assert _selected(page, "appointment-practice") == ""
