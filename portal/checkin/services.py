"""One service for every check-in, from the terminal and from the portal, with the rules of the
framework agreement on Rehasport and Funktionstraining."""

from __future__ import annotations

import base64
import binascii
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..extensions import db
from ..i18n import N_, count_word, date_filter, ordinal_word, translate
from ..schedule.models import Course, CourseKind
from ..timeutil import utcnow
from .models import Attendance, CourseMember, CourseSession, Participant, Prescription

WEEKLY_LIMIT = 2  # sessions a week; a third only with a recorded reason
WEEKLY_MAXIMUM = 3
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 150_000  # a signature pad's PNG, even on a dense screen, stays far below
MAX_SIGNATURE_PIXELS = (4096, 2048)  # width and height at most (a small PNG may unpack huge)
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


def courses_on(group_id: int, day: date) -> list[Course]:
    """The group's courses that meet on that day, by start time."""
    return list(db.session.scalars(select(Course).where(Course.group_id == group_id, Course.weekday == day.weekday())
                                   .order_by(Course.start_time, Course.id)))


def existing_session(course: Course, day: date) -> CourseSession | None:
    return db.session.scalar(select(CourseSession).where(CourseSession.course_id == course.id,
                                                         CourseSession.day == day))


def session_for(course: Course, day: date, known: CourseSession | None = None) -> CourseSession:
    """The course's session on that day (``known`` when just looked up), created by the first
    check-in (two at once: one row)."""
    session = known or existing_session(course, day)
    if session is not None:
        return session
    try:
        with db.session.begin_nested():
            session = CourseSession(group_id=course.group_id, course_id=course.id, day=day,
                                    start_time=course.start_time)
            db.session.add(session)
    except IntegrityError:
        session = existing_session(course, day)
    return session


ACTIVE = Attendance.cancelled_at.is_(None)  # a cancelled check-in counts for nothing


def used_units(prescription: Prescription) -> int:
    return db.session.scalar(select(func.count(Attendance.id)).where(Attendance.prescription_id == prescription.id,
                                                                     ACTIVE))


def remaining_units(prescription: Prescription) -> int:
    return prescription.units_approved - used_units(prescription)


def find_participant(group_id: int, *, chip: str | None = None, last_name: str | None = None,
                     birth_date: date | None = None) -> Participant | None:
    """By the chip's id, or by last name and date of birth."""
    query = select(Participant).where(Participant.group_id == group_id)
    if chip:
        return db.session.scalar(query.where(Participant.chip_id == chip.strip()))
    if last_name and birth_date:  # the few born that day, compared here: SQL's lower() misses Ö, Ş, Ł …
        wanted = folded(last_name)
        return next((p for p in db.session.scalars(query.where(Participant.birth_date == birth_date)
                                                   .order_by(Participant.id)) if folded(p.last_name) == wanted), None)
    return None


FOLDS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ς": "σ"})


def folded(name: str) -> str:
    """A name as typed, for comparing: composed the same way, in lower case, umlauts and ß as typed
    on a keyboard without them ("Mueller" is "Müller", "STRASSE" is "Straße"), trimmed. Only what
    JavaScript does alike: static/terminal/fold.js folds the same way, offline; both are tested
    against one table, tests/data/name_folding.json."""
    return unicodedata.normalize("NFC", name).lower().translate(FOLDS).strip()


def decode_signature(data_url: str) -> bytes:
    """The signature pad's PNG data URL as bytes; refused when missing or not a PNG."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise CheckInRefused(translate(N_("Bitte unterschreiben Sie auf dem Bildschirm.")))
    try:
        png = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckInRefused(translate(UNREADABLE_SIGNATURE)) from exc
    if not png.startswith(PNG_MAGIC) or len(png) > MAX_SIGNATURE_BYTES or png[12:16] != b"IHDR":
        raise CheckInRefused(translate(UNREADABLE_SIGNATURE))
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    if not (0 < width <= MAX_SIGNATURE_PIXELS[0] and 0 < height <= MAX_SIGNATURE_PIXELS[1]):
        raise CheckInRefused(translate(UNREADABLE_SIGNATURE))
    return png


def with_units_used(*where) -> list[tuple[Prescription, int]]:
    """The prescriptions ``where`` says, each with the units taken so far (check-ins that count),
    in one query."""
    return db.session.execute(
        select(Prescription, func.count(Attendance.id))
        .outerjoin(Attendance, (Attendance.prescription_id == Prescription.id) & ACTIVE)
        .where(*where).group_by(Prescription.id).order_by(Prescription.id)).all()


def usable(prescription: Prescription, used: int, day: date) -> bool:
    """Whether a check-in on ``day`` can count against the prescription: units left, not expired."""
    expires = prescription.expires_on()
    return used < prescription.units_approved and (expires is None or day <= expires)


def _usable_prescription(participant: Participant, kind: str, day: date) -> tuple[Prescription, int]:
    """The prescription a check-in of that kind counts against, with its units left before it."""
    candidates = with_units_used(Prescription.participant_id == participant.id, Prescription.kind == kind)
    if not candidates:
        raise CheckInRefused(translate(N_("Für %(kind)s liegt keine Verordnung vor."), kind=CourseKind(kind).label))
    for prescription, used in candidates:
        if usable(prescription, used, day):
            return prescription, prescription.units_approved - used
    ends = [prescription.expires_on() for prescription, _ in candidates]
    if all(end is not None and day > end for end in ends):
        raise CheckInRefused(translate(N_("Die Verordnung ist am %(day)s abgelaufen."), day=date_filter(ends[-1])))
    raise CheckInRefused(translate(N_("Auf der Verordnung sind keine Einheiten mehr übrig.")))


@dataclass(frozen=True)
class Decision:
    """What the rules decided for an allowed check-in."""

    prescription: Prescription
    springer: bool
    remaining: int  # units left on the prescription before this check-in
    session: CourseSession | None  # the course's session that day, if it exists yet


def evaluate(participant: Participant, course: Course, day: date, *, springer_reason: str | None = None,
             extra_reason: str | None = None, at_terminal: bool = False) -> Decision:
    """Apply the rules to a check-in without recording anything; raises ``CheckInRefused``.

    Rules: the course meets that day; a prescription of the course's type with units left and not
    expired (the validity runs from the first session); not twice in one session; two sessions a
    week, a third only with a reason, never a fourth; a participant who is not a regular member of
    the course group may join as Springer when the group is of the same type, the session has room,
    and a reason is given. At the terminal a refusal names the person by first name and initial only.
    """
    name = participant.short_name if at_terminal else participant.full_name
    if participant.group_id != course.group_id:
        raise CheckInRefused(translate(N_("Diese Person gehört nicht zu Ihrer Praxisgruppe.")))
    if participant.restricted:
        if at_terminal:  # whoever types a name learns nothing about the person
            raise CheckInRefused(translate(N_("Check-in nicht möglich. Bitte wenden Sie sich an den Empfang.")))
        raise CheckInRefused(translate(N_("Die Verarbeitung der Daten von %(name)s ist eingeschränkt (Art. 18 "
                                          "DSGVO); ein Check-in ist nicht möglich."), name=name))
    if course.weekday != day.weekday():
        raise CheckInRefused(translate(N_("Der Kurs „%(course)s“ findet an diesem Tag nicht statt."),
                                       course=course.name))
    session = existing_session(course, day)
    week_start = day - timedelta(days=day.weekday())
    week = db.session.scalars(  # the sessions of the week the person counts in
        select(Attendance.session_id).join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(Attendance.participant_id == participant.id, ACTIVE, CourseSession.day >= week_start,
               CourseSession.day < week_start + timedelta(days=7))).all()
    if session is not None and session.id in week:
        raise CheckInRefused(translate(N_("%(name)s ist für diesen Termin bereits eingecheckt."),
                                       name=name))
    prescription, remaining = _usable_prescription(participant, course.kind, day)
    this_week = len(week)
    if this_week >= WEEKLY_MAXIMUM:
        raise CheckInRefused(translate(N_("In dieser Woche sind bereits %(n)s Teilnahmen erfasst; mehr sind nicht "
                                          "möglich."), n=this_week))
    if this_week >= WEEKLY_LIMIT and not (extra_reason or "").strip():
        raise CheckInRefused(ngettext("In dieser Woche ist bereits %(count)s Teilnahme erfasst. Eine %(next)s ist nur "
                                      "mit Begründung möglich.",
                                      "In dieser Woche sind bereits %(count)s Teilnahmen erfasst. Eine %(next)s ist "
                                      "nur mit Begründung möglich.", WEEKLY_LIMIT, count=count_word(WEEKLY_LIMIT),
                                      next=ordinal_word(WEEKLY_LIMIT + 1)), need="extra_reason")
    member_of = set(db.session.scalars(select(CourseMember.course_id)
                                       .where(CourseMember.participant_id == participant.id)))
    springer = course.id not in member_of
    if springer:
        same_kind = db.session.scalar(select(func.count(Course.id)).where(Course.id.in_(member_of),
                                                                        Course.kind == course.kind)) if member_of else 0
        if not same_kind:
            raise CheckInRefused(translate(N_("%(name)s ist in keiner %(kind)s-Gruppe eingetragen."),
                                           name=name, kind=course.kind.label))
        members = db.session.scalar(select(func.count()).select_from(CourseMember)
                                    .where(CourseMember.course_id == course.id))
        springers = db.session.scalar(select(func.count(Attendance.id)).where(
            Attendance.session_id == session.id, Attendance.springer.is_(True), ACTIVE)) if session is not None else 0
        if members + springers >= course.capacity:
            raise CheckInRefused(translate(N_("Dieser Termin ist voll (%(n)s Plätze); als Springer ist keine "
                                              "Teilnahme möglich."), n=course.capacity))
        if not (springer_reason or "").strip():
            raise CheckInRefused(translate(N_("%(name)s gehört nicht zu dieser Gruppe. Bitte den Grund für die "
                                              "Teilnahme als Springer angeben."), name=name),
                                 need="springer_reason")
    return Decision(prescription, springer, remaining, session)


def preview(participant: Participant, course: Course, day: date) -> CheckInRefused | None:
    """The terminal's look ahead, before anyone signs: every rule but the signature, recording
    nothing. First with reasons given (a refusal then is final), then without (a refusal then
    names the reason to ask for)."""
    for reasons in ({"springer_reason": "?", "extra_reason": "?"}, {}):
        try:
            evaluate(participant, course, day, at_terminal=True, **reasons)
        except CheckInRefused as refused:
            return refused
    return None


def look_ahead(participant: Participant, course: Course, day: date) -> tuple[str | None, list[str]]:
    """The portal's look ahead, when a person is chosen and before they sign: a refusal no reason
    would lift (its message), else the reasons the rules ask for ("springer_reason",
    "extra_reason": a Springer's third check-in in a week needs both). Records nothing."""
    try:
        evaluate(participant, course, day, springer_reason="?", extra_reason="?")
    except CheckInRefused as refused:
        return refused.message, []
    given: dict[str, str] = {}
    while True:
        try:
            evaluate(participant, course, day, **given)
            return None, list(given)
        except CheckInRefused as refused:
            if not refused.need or refused.need in given:
                return refused.message, list(given)
            given[refused.need] = "?"


def check_in(participant: Participant, course: Course, day: date, signature_png: bytes, *,
             springer_reason: str | None = None, extra_reason: str | None = None,
             terminal=None, user=None, now: datetime | None = None, at_terminal: bool | None = None,
             late_reason: str | None = None) -> CheckInResult:
    """Record one attendance with its signature, or refuse with a German reason (see ``evaluate``).
    A check-in entered after its day ("Nachtrag") keeps why, and the log says it was added later.
    The caller commits."""
    now = now or utcnow()
    decision = evaluate(participant, course, day, springer_reason=springer_reason, extra_reason=extra_reason,
                        at_terminal=terminal is not None if at_terminal is None else at_terminal)
    prescription, springer = decision.prescription, decision.springer
    session = session_for(course, day, decision.session)
    if prescription.first_session_on is None or day < prescription.first_session_on:
        prescription.first_session_on = day  # the validity runs from the earliest check-in
    attendance = Attendance(group_id=session.group_id, session_id=session.id, participant_id=participant.id,
                            prescription_id=prescription.id, checked_in_at=now, signature_png=signature_png,
                            springer=springer, springer_reason=(springer_reason or "").strip() or None,
                            extra_reason=(extra_reason or "").strip() or None,
                            late_reason=(late_reason or "").strip() or None,
                            terminal_id=terminal.id if terminal else None, recorded_by_id=user.id if user else None)
    db.session.add(attendance)
    db.session.flush()
    record("checkin.added_later" if attendance.late_reason else "checkin.recorded", group_id=session.group_id,
           actor=user, actor_label=None if user else (f"Terminal {terminal.name}" if terminal else None),
           details={"attendance_id": attendance.id, "participant_id": participant.id, "session_id": session.id,
                    "course": course.name, "springer": springer, "springer_reason": attendance.springer_reason,
                    "extra_reason": attendance.extra_reason, "late_reason": attendance.late_reason})
    return CheckInResult(attendance, decision.remaining - 1, prescription.expires_on())


# --- corrections ----------------------------------------------------------------------------------

def counted_day(prescription: Prescription, extreme=func.min) -> date | None:
    """The first (or, with ``func.max``, the last) day a check-in on the prescription counts."""
    return db.session.scalar(select(extreme(CourseSession.day)).join(
        Attendance, Attendance.session_id == CourseSession.id).where(Attendance.prescription_id == prescription.id,
                                                                     ACTIVE))


def _withdraw(attendance: Attendance, reason: str, user, now: datetime) -> None:
    """Mark the check-in cancelled; the prescription's validity then runs from its first check-in
    that still counts (none left: from the next one)."""
    attendance.cancelled_at, attendance.cancel_reason = now, reason
    attendance.cancelled_by_id = user.id if user else None
    db.session.flush()
    attendance.prescription.first_session_on = counted_day(attendance.prescription)


def cancel_attendance(attendance: Attendance, reason: str, user, *, now: datetime | None = None) -> None:
    """Cancel a check-in with a reason: it is kept, shown struck through and audited, and no longer
    counts against the units or the weekly limit. The caller commits."""
    reason = (reason or "").strip()
    if attendance.cancelled:
        raise CheckInRefused(translate(N_("Diese Teilnahme ist bereits storniert.")))
    if not reason:
        raise CheckInRefused(translate(N_("Bitte geben Sie einen Grund für die Stornierung an.")))
    _withdraw(attendance, reason, user, now or utcnow())
    record("checkin.cancelled", group_id=attendance.group_id, actor=user,
           details={"attendance_id": attendance.id, "participant_id": attendance.participant_id,
                    "session_id": attendance.session_id, "reason": reason})


def move_attendance(attendance: Attendance, course: Course, user, *, springer_reason: str | None = None,
                    extra_reason: str | None = None) -> CheckInResult:
    """Move a check-in to another course session of the same day, through ``check_in`` with the
    signature given: the rules hold as if the person had checked in there. The old row stays,
    cancelled with a note of the move; a refusal changes nothing. The caller commits."""
    source = attendance.session
    if attendance.cancelled:
        raise CheckInRefused(translate(N_("Eine stornierte Teilnahme lässt sich nicht verschieben.")))
    if course.id == source.course_id:
        raise CheckInRefused(translate(N_("Die Teilnahme ist bereits in diesem Termin.")))
    if course.group_id != attendance.group_id or course.weekday != source.day.weekday():
        raise CheckInRefused(translate(N_("Eine Teilnahme lässt sich nur in einen Termin desselben Tages "
                                          "verschieben.")))
    note = translate(N_("Verschoben nach „%(course)s“ (%(time)s Uhr)"), course=course.name,
                     time=course.start_time.strftime("%H:%M"))
    with db.session.begin_nested():  # a refusal below rolls the cancellation back too
        _withdraw(attendance, note, user, utcnow())
        result = check_in(attendance.participant, course, source.day, attendance.signature_png,
                          springer_reason=springer_reason, extra_reason=extra_reason, user=user,
                          now=attendance.checked_in_at)
    record("checkin.moved", group_id=attendance.group_id, actor=user,
           details={"attendance_id": attendance.id, "to_attendance_id": result.attendance.id,
                    "participant_id": attendance.participant_id, "from_session_id": source.id,
                    "to_session_id": result.attendance.session_id})
    return result
