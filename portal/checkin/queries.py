"""The check-in pages' reads: courses, a participant's memberships and recent check-ins, the
terminals, a course's month and a prescription's units. Nothing here writes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..schedule.models import Course
from ..timeutil import add_months
from .models import Attendance, CourseMember, CourseSession, Participant, Prescription, Terminal
from .records import participants_of
from .services import ACTIVE

RECENT_ATTENDANCES = 30  # on a participant's page; the monthly lists and the Datenauskunft have all


def group_courses(group_id: int) -> list[Course]:
    """The group's course groups by weekday, start time and name."""
    return list(db.session.scalars(select(Course).where(Course.group_id == group_id)
                                   .order_by(Course.weekday, Course.start_time, Course.name)))


def unrestricted_participants(group_id: int) -> list[Participant]:
    """The group's participants a check-in can be entered for (processing not restricted)."""
    return [p for p in participants_of(group_id) if not p.restricted]


def membership_ids(person: Participant) -> set[int]:
    """The ids of the course groups the person is a regular member of."""
    return set(db.session.scalars(select(CourseMember.course_id).where(CourseMember.participant_id == person.id)))


def recent_attendances(person: Participant) -> list[Attendance]:
    """The person's latest check-ins, cancelled ones too, newest first."""
    return list(db.session.scalars(
        select(Attendance).join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(Attendance.participant_id == person.id)
        .order_by(CourseSession.day.desc(), CourseSession.start_time.desc()).limit(RECENT_ATTENDANCES)))


def group_terminals(group_id: int) -> list[Terminal]:
    return list(db.session.scalars(select(Terminal).where(Terminal.group_id == group_id).order_by(Terminal.id)))


def month_rows(course: Course, month: date, *, with_cancelled: bool = False) -> list[Attendance]:
    """The month's check-ins of the course; the downloads leave cancelled ones out, the page strikes them through."""
    query = (select(Attendance).join(CourseSession, CourseSession.id == Attendance.session_id)
             .where(CourseSession.course_id == course.id, CourseSession.day >= month,
                    CourseSession.day < add_months(month, 1))
             .order_by(CourseSession.day, Attendance.checked_in_at))
    return list(db.session.scalars(query if with_cancelled else query.where(ACTIVE)))


def proof_attendances(prescription: Prescription) -> list[Attendance]:
    """The units counted on a prescription, in the order they were taken (its Teilnahmenachweis)."""
    return list(db.session.scalars(
        select(Attendance).join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(Attendance.prescription_id == prescription.id, ACTIVE)
        .order_by(CourseSession.day, CourseSession.start_time, Attendance.id)))
