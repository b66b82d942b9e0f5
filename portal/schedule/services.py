"""Giving a therapist appointments and courses (rule 1), each change audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..audit.services import record
from ..extensions import db
from ..groups.models import Practice
from ..signals import schedule_changed
from ..therapists.models import Therapist
from ..timeutil import as_utc
from .models import Appointment, Course


def _practice_in_group(group_id: int, practice_id: int) -> Practice:
    practice = db.session.scalar(
        select(Practice).where(Practice.id == practice_id, Practice.group_id == group_id)
    )
    if practice is None:
        raise LookupError("practice not in group")
    return practice


def add_appointment(therapist: Therapist, data: dict) -> Appointment:
    """Create an appointment for the therapist; ``day``/``start`` are Berlin local time."""
    practice = _practice_in_group(therapist.group_id, data["practice_id"])
    appointment = Appointment(
        group_id=therapist.group_id,
        therapist=therapist,
        practice=practice,
        title=data["title"].strip(),
        starts_at=as_utc(datetime.combine(data["day"], data["start"])),
        duration_minutes=data["duration_minutes"],
    )
    db.session.add(appointment)
    db.session.flush()
    record(
        "appointment.added",
        group_id=therapist.group_id,
        therapist_id=therapist.id,
        details={"appointment_id": appointment.id, "title": appointment.title,
                 "starts_at": appointment.starts_at.isoformat(), "practice": practice.name},
    )
    schedule_changed.send(therapist_ids=[therapist.id])
    return appointment


def remove_appointment(appointment: Appointment) -> None:
    record(
        "appointment.removed",
        group_id=appointment.group_id,
        therapist_id=appointment.therapist_id,
        details={"appointment_id": appointment.id, "title": appointment.title,
                 "starts_at": appointment.starts_at.isoformat()},
    )
    schedule_changed.send(therapist_ids=[appointment.therapist_id])
    db.session.delete(appointment)


def create_course(therapist: Therapist, data: dict) -> Course:
    """Create a course of the group, led by the therapist."""
    practice = _practice_in_group(therapist.group_id, data["practice_id"])
    course = Course(
        group_id=therapist.group_id,
        therapist=therapist,
        practice=practice,
        kind=data["kind"],
        name=data["name"].strip(),
        weekday=data["weekday"],
        start_time=data["start_time"],
        duration_minutes=data["duration_minutes"],
    )
    db.session.add(course)
    db.session.flush()
    record(
        "course.created",
        group_id=therapist.group_id,
        therapist_id=therapist.id,
        details={"course_id": course.id, "name": course.name, "kind": course.kind},
    )
    schedule_changed.send(therapist_ids=[therapist.id])
    return course


def assign_course(therapist: Therapist, course: Course) -> None:
    """Make the therapist the course's instructor (a course has one)."""
    previous = course.therapist_id
    course.therapist_id = therapist.id
    record(
        "course.assigned",
        group_id=therapist.group_id,
        therapist_id=therapist.id,
        details={"course_id": course.id, "name": course.name, "previous_therapist_id": previous},
    )
    schedule_changed.send(therapist_ids=[therapist.id, previous])


def unassign_course(course: Course) -> None:
    """Remove the therapist from the course; the course itself stays with the group."""
    record(
        "course.unassigned",
        group_id=course.group_id,
        therapist_id=course.therapist_id,
        details={"course_id": course.id, "name": course.name},
    )
    schedule_changed.send(therapist_ids=[course.therapist_id])
    course.therapist_id = None
