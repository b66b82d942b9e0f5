"""Giving a therapist appointments and courses (rule 1), each change audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..audit.services import record
from ..extensions import db
from ..signals import schedule_changed
from ..tenancy import Practice, Therapist
from ..timeutil import as_utc
from .models import Appointment, Course


def _practice_in_group(group_id: int, practice_id: int) -> Practice:
    practice = db.session.scalar(
        select(Practice).where(Practice.id == practice_id, Practice.group_id == group_id)
    )
    if practice is None:
        raise LookupError("practice not in group")
    return practice


def _announced(action: str, group_id: int, therapist_id: int | None, details: dict,
               therapist_ids: list[int | None]) -> None:
    """A schedule change audited and announced (the therapist database of each therapist listens)."""
    record(action, group_id=group_id, therapist_id=therapist_id, details=details)
    schedule_changed.send(therapist_ids=therapist_ids)


def _created(therapist: Therapist, model, practice_id: int, **values):
    """A new appointment or course of the therapist at a practice of the group, flushed (it has its id)."""
    row = model(group_id=therapist.group_id, therapist=therapist,
                practice=_practice_in_group(therapist.group_id, practice_id), **values)
    db.session.add(row)
    db.session.flush()
    return row


def add_appointment(therapist: Therapist, data: dict) -> Appointment:
    """Create an appointment for the therapist; ``day``/``start`` are Berlin local time."""
    appointment = _created(therapist, Appointment, data["practice_id"], title=data["title"].strip(),
                           starts_at=as_utc(datetime.combine(data["day"], data["start"])),
                           duration_minutes=data["duration_minutes"])
    _announced("appointment.added", therapist.group_id, therapist.id,
               {"appointment_id": appointment.id, "title": appointment.title,
                "starts_at": appointment.starts_at.isoformat(), "practice": appointment.practice.name},
               [therapist.id])
    return appointment


def remove_appointment(appointment: Appointment) -> None:
    _announced("appointment.removed", appointment.group_id, appointment.therapist_id,
               {"appointment_id": appointment.id, "title": appointment.title,
                "starts_at": appointment.starts_at.isoformat()}, [appointment.therapist_id])
    db.session.delete(appointment)


def create_course(therapist: Therapist, data: dict) -> Course:
    """Create a course of the group, led by the therapist."""
    course = _created(therapist, Course, data["practice_id"], kind=data["kind"], name=data["name"].strip(),
                      weekday=data["weekday"], start_time=data["start_time"],
                      duration_minutes=data["duration_minutes"])
    _announced("course.created", therapist.group_id, therapist.id,
               {"course_id": course.id, "name": course.name, "kind": course.kind}, [therapist.id])
    return course


def assign_course(therapist: Therapist, course: Course) -> None:
    """Make the therapist the course's instructor (a course has one)."""
    previous = course.therapist_id
    course.therapist_id = therapist.id
    _announced("course.assigned", therapist.group_id, therapist.id,
               {"course_id": course.id, "name": course.name, "previous_therapist_id": previous},
               [therapist.id, previous])


def unassign_course(course: Course) -> None:
    """Remove the therapist from the course; the course itself stays with the group."""
    _announced("course.unassigned", course.group_id, course.therapist_id, {"course_id": course.id, "name": course.name},
               [course.therapist_id])
    course.therapist_id = None
