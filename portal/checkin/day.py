"""The day at the front desk: every course meeting that day with who checked in and who is
expected (a usable prescription of the course's kind) or would be refused (none)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..schedule.models import Course
from ..sorting import sort_key
from .models import Attendance, CourseMember, CourseSession, Participant, Prescription
from .services import courses_on, usable, with_units_used


@dataclass(frozen=True)
class DaySession:
    """A course meeting on a day: its session row once somebody checked in, who did, and who is
    expected: the group's members with a prescription of the course's kind that a check-in that
    day could count against (members without one are listed apart: the rules would refuse them)."""

    course: Course
    day: date
    session: CourseSession | None
    attendances: list[Attendance]
    expected: list[Participant] = field(default_factory=list)
    without_prescription: list[Participant] = field(default_factory=list)

    @property
    def active(self) -> list[Attendance]:
        """The check-ins that count (cancelled ones stay listed, struck through)."""
        return [attendance for attendance in self.attendances if not attendance.cancelled]

    @property
    def springers(self) -> int:
        return sum(1 for attendance in self.active if attendance.springer)

    @property
    def came(self) -> dict[int, Attendance]:
        """Who is checked in (and counts), by participant id: they are not offered again."""
        return {attendance.participant_id: attendance for attendance in self.active}

    @property
    def awaited(self) -> list[Participant]:
        """The expected who have not checked in yet."""
        came = self.came
        return [person for person in self.expected if person.id not in came]


def day_overview(group_id: int, day: date) -> list[DaySession]:
    """Every course of the day with its check-ins so far; reads only (a session row is created by
    the first check-in, never by looking)."""
    courses = courses_on(group_id, day)
    sessions = {s.course_id: s for s in db.session.scalars(
        select(CourseSession).where(CourseSession.course_id.in_([c.id for c in courses]), CourseSession.day == day))}
    attendances: dict[int, list[Attendance]] = {}
    if sessions:
        for attendance in db.session.scalars(select(Attendance).where(
                Attendance.session_id.in_([s.id for s in sessions.values()])).order_by(Attendance.checked_in_at)):
            attendances.setdefault(attendance.session_id, []).append(attendance)
    members = _members(courses, day)
    return [DaySession(course, day, sessions.get(course.id),
                       attendances.get(sessions[course.id].id, []) if course.id in sessions else [],
                       *members.get(course.id, ([], [])))
            for course in courses]


def _members(courses: list[Course], day: date) -> dict[int, tuple[list[Participant], list[Participant]]]:
    """Per course: its members a check-in that day could count for (a usable prescription of the
    course's kind), and those it could not; people whose processing is restricted are neither."""
    rows = db.session.execute(
        select(CourseMember.course_id, Participant).join(Participant, Participant.id == CourseMember.participant_id)
        .where(CourseMember.course_id.in_([c.id for c in courses]), ~Participant.restricted)).all()
    usable_kinds: dict[int, set[str]] = {}
    if rows:
        for prescription, used in with_units_used(Prescription.participant_id.in_({p.id for _, p in rows})):
            if usable(prescription, used, day):
                usable_kinds.setdefault(prescription.participant_id, set()).add(prescription.kind)
    kinds = {course.id: course.kind for course in courses}
    found: dict[int, tuple[list[Participant], list[Participant]]] = {}
    for course_id, person in sorted(rows, key=lambda row: (sort_key(row[1].last_name), sort_key(row[1].first_name))):
        expected, without = found.setdefault(course_id, ([], []))
        (expected if kinds[course_id] in usable_kinds.get(person.id, ()) else without).append(person)
    return found
