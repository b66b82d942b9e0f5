"""One service for every check-in, from the terminal and from the portal, with the rules of the
framework agreement on Rehasport and Funktionstraining."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from ..audit.services import record
from ..extensions import db
from ..i18n import N_, date_filter, translate
from ..schedule.models import Course
from ..timeutil import today_berlin, utcnow
from .models import Attendance, CourseMember, CourseSession, Participant, Prescription

WEEKLY_LIMIT = 2  # sessions a week; a third only with a recorded reason
WEEKLY_MAXIMUM = 3
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 300_000
UNREADABLE_SIGNATURE = N_("Die Unterschrift konnte nicht gelesen werden. Bitte erneut unterschreiben.")


class CheckInRefused(Exception):
    """The check-in breaks a rule; the message says which, in German. ``need`` names what a
    second attempt may supply ("springer_reason" or "extra_reason")."""

    def __init__(self, message: str, need: str | None = None) -> None:
        super().__init__(message)
        self.message, self.need = message, need


@dataclass(frozen=True)
class CheckInResult:
    attendance: Attendance
    remaining_units: int
    expires_on: date | None


def session_for(course: Course, day: date) -> CourseSession:
    """The course's session on that day, created on first use."""
    session = db.session.scalar(select(CourseSession).where(CourseSession.course_id == course.id,
                                                            CourseSession.day == day))
    if session is None:
        session = CourseSession(group_id=course.group_id, course_id=course.id, day=day, start_time=course.start_time)
        db.session.add(session)
        db.session.flush()
    return session


def todays_sessions(group_id: int, day: date | None = None) -> list[CourseSession]:
    day = day or today_berlin()
    courses = db.session.scalars(select(Course).where(Course.group_id == group_id, Course.weekday == day.weekday())
                                 .order_by(Course.start_time)).all()
    return [session_for(course, day) for course in courses]


def used_units(prescription: Prescription) -> int:
    return db.session.scalar(select(func.count(Attendance.id)).where(Attendance.prescription_id == prescription.id))


def remaining_units(prescription: Prescription) -> int:
    return prescription.units_approved - used_units(prescription)


def find_participant(group_id: int, *, chip: str | None = None, last_name: str | None = None,
                     birth_date: date | None = None) -> Participant | None:
    """By the chip's id, or by last name and date of birth."""
    query = select(Participant).where(Participant.group_id == group_id)
    if chip:
        return db.session.scalar(query.where(Participant.chip_id == chip.strip()))
    if last_name and birth_date:
        return db.session.scalar(query.where(func.lower(Participant.last_name) == last_name.strip().lower(),
                                             Participant.birth_date == birth_date))
    return None


def decode_signature(data_url: str) -> bytes:
    """The signature pad's PNG data URL as bytes; refused when missing or not a PNG."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise CheckInRefused(translate(N_("Bitte unterschreiben Sie auf dem Bildschirm.")))
    try:
        png = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckInRefused(translate(UNREADABLE_SIGNATURE)) from exc
    if not png.startswith(PNG_MAGIC) or len(png) > MAX_SIGNATURE_BYTES:
        raise CheckInRefused(translate(UNREADABLE_SIGNATURE))
    return png


def _usable_prescription(participant: Participant, kind: str, day: date) -> Prescription:
    candidates = [p for p in participant.prescriptions if p.kind == kind]
    if not candidates:
        raise CheckInRefused(translate(N_("Für %(kind)s liegt keine Verordnung vor."), kind=_kind_label(kind)))
    expired = None
    for prescription in candidates:
        expires = prescription.expires_on()
        if expires is not None and day > expires:
            expired = expires
            continue
        if remaining_units(prescription) > 0:
            return prescription
    if expired is not None and all((p.expires_on() and day > p.expires_on()) for p in candidates):
        raise CheckInRefused(translate(N_("Die Verordnung ist am %(day)s abgelaufen."), day=date_filter(expired)))
    raise CheckInRefused(translate(N_("Auf der Verordnung sind keine Einheiten mehr übrig.")))


def _kind_label(kind: str) -> str:
    return {"rehasport": "Rehasport", "funktionstraining": "Funktionstraining"}.get(kind, kind)


def check_in(participant: Participant, session: CourseSession, signature_png: bytes, *,
             springer_reason: str | None = None, extra_reason: str | None = None,
             terminal=None, user=None, now: datetime | None = None) -> CheckInResult:
    """Record one attendance with its signature, or refuse with a German reason. The caller commits.

    Rules: a prescription of the course's type with units left and not expired (the validity runs
    from the first session); not twice in one session; two sessions a week, a third only with a
    reason, never a fourth; a participant who is not a regular member of the course group may
    join as Springer when the group is of the same type, the session has room, and a reason is
    given.
    """
    now = now or utcnow()
    day = session.day
    course = session.course
    if participant.group_id != session.group_id:
        raise CheckInRefused(translate(N_("Diese Person gehört nicht zu Ihrer Praxisgruppe.")))
    if db.session.scalar(select(Attendance.id).where(Attendance.session_id == session.id,
                                                     Attendance.participant_id == participant.id)):
        raise CheckInRefused(translate(N_("%(name)s ist für diesen Termin bereits eingecheckt."),
                                       name=participant.full_name))
    prescription = _usable_prescription(participant, course.kind, day)
    week_start = day - timedelta(days=day.weekday())
    this_week = db.session.scalar(
        select(func.count(Attendance.id)).join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(Attendance.participant_id == participant.id, CourseSession.day >= week_start,
               CourseSession.day < week_start + timedelta(days=7)))
    if this_week >= WEEKLY_MAXIMUM:
        raise CheckInRefused(translate(N_("In dieser Woche sind bereits %(n)s Teilnahmen erfasst; mehr sind nicht "
                                          "möglich."), n=this_week))
    if this_week >= WEEKLY_LIMIT and not (extra_reason or "").strip():
        raise CheckInRefused(translate(N_("In dieser Woche sind bereits zwei Teilnahmen erfasst. Eine dritte ist nur "
                                          "mit Begründung möglich.")), need="extra_reason")
    member_of = set(db.session.scalars(select(CourseMember.course_id)
                                       .where(CourseMember.participant_id == participant.id)))
    springer = course.id not in member_of
    if springer:
        same_kind = db.session.scalar(select(func.count(Course.id)).where(Course.id.in_(member_of),
                                                                        Course.kind == course.kind)) if member_of else 0
        if not same_kind:
            raise CheckInRefused(translate(N_("%(name)s ist in keiner %(kind)s-Gruppe eingetragen."),
                                           name=participant.full_name, kind=_kind_label(course.kind)))
        members = db.session.scalar(select(func.count()).select_from(CourseMember)
                                    .where(CourseMember.course_id == course.id))
        springers = db.session.scalar(select(func.count(Attendance.id)).where(Attendance.session_id == session.id,
                                                                              Attendance.springer.is_(True)))
        if members + springers >= course.capacity:
            raise CheckInRefused(translate(N_("Dieser Termin ist voll (%(n)s Plätze); als Springer ist keine "
                                              "Teilnahme möglich."), n=course.capacity))
        if not (springer_reason or "").strip():
            raise CheckInRefused(translate(N_("%(name)s gehört nicht zu dieser Gruppe. Bitte den Grund für die "
                                              "Teilnahme als Springer angeben."), name=participant.full_name),
                                 need="springer_reason")
    if prescription.first_session_on is None:
        prescription.first_session_on = day
    attendance = Attendance(group_id=session.group_id, session_id=session.id, participant_id=participant.id,
                            prescription_id=prescription.id, checked_in_at=now, signature_png=signature_png,
                            springer=springer, springer_reason=(springer_reason or "").strip() or None,
                            extra_reason=(extra_reason or "").strip() or None,
                            terminal_id=terminal.id if terminal else None, recorded_by_id=user.id if user else None)
    db.session.add(attendance)
    db.session.flush()
    record("checkin.recorded", group_id=session.group_id, actor=user,
           actor_label=None if user else (f"Terminal {terminal.name}" if terminal else None),
           details={"attendance_id": attendance.id, "participant_id": participant.id, "session_id": session.id,
                    "course": course.name, "springer": springer, "springer_reason": attendance.springer_reason,
                    "extra_reason": attendance.extra_reason})
    return CheckInResult(attendance, remaining_units(prescription), prescription.expires_on())

