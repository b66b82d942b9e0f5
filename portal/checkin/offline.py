"""The terminal without a connection: what the tablet keeps for a day (today's courses and what
identification needs), the check-ins it queued offline applied once per id when they arrive, and
the "Zu klären" list of those the rules refused afterwards, resolved by the practice."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..extensions import db
from ..i18n import N_, date_filter, translate
from ..schedule.models import Course
from ..timeutil import BERLIN, parse_instant, today_berlin, utcnow
from .models import (
    Attendance,
    CourseMember,
    CourseSession,
    OfflineCheckIn,
    OfflineStatus,
    Participant,
    Prescription,
    Terminal,
)
from .services import (
    ACTIVE,
    CheckInRefused,
    CheckInResult,
    check_in,
    courses_on,
    decode_signature,
    folded,
    usable,
    with_units_used,
)

CLOCK_TOLERANCE = timedelta(minutes=10)  # a tablet's clock may run a little ahead
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)  # before this no tablet signed anything: a broken clock or junk
LARGEST_ID = 2**31 - 1


def _hashed(salt: str, value: str) -> str:
    return hashlib.sha256(f"{salt}|{value}".encode()).hexdigest()


def person_key(last_name: str, birth_date: str) -> str:
    """What identification by name compares: the folded last name and the ISO date of birth
    (terminal-offline.js builds the same from what is typed)."""
    return f"{folded(last_name)}|{birth_date}"


def snapshot(terminal: Terminal, day: date) -> dict:
    """What the tablet may keep for the day, and nothing more: today's courses, who checked in to
    them so far, and for identification the people who can check in today (a member of a course
    group of today's kinds with a usable prescription of that kind): their id, the name the
    terminal greets with (first name and initial), and their chip and last name with date of birth
    only as salted hashes, to compare what is typed with."""
    courses = courses_on(terminal.group_id, day)
    kinds = {course.kind for course in courses}
    usable_kinds = {(prescription.participant_id, prescription.kind) for prescription, used in with_units_used(
        Prescription.group_id == terminal.group_id, Prescription.kind.in_(kinds)) if usable(prescription, used, day)
    } if kinds else set()
    members = db.session.execute(select(CourseMember.participant_id, Course.kind).join(
        Course, Course.id == CourseMember.course_id).where(Course.group_id == terminal.group_id,
                                                          Course.kind.in_(kinds))).all() if kinds else []
    eligible = {participant_id for participant_id, kind in members if (participant_id, kind) in usable_kinds}
    people = db.session.scalars(select(Participant).where(Participant.id.in_(eligible))
                                .order_by(Participant.id)).all() if eligible else []
    checked_in = db.session.execute(select(CourseSession.course_id, Attendance.participant_id).join(
        Attendance, Attendance.session_id == CourseSession.id).where(
        CourseSession.group_id == terminal.group_id, CourseSession.day == day, ACTIVE)).all()
    salt = secrets.token_hex(16)
    return {
        "day": day.isoformat(),
        "terminal": terminal.id,
        "terminal_name": terminal.name,
        "salt": salt,
        "courses": [{"id": c.id, "name": c.name, "time": c.start_time.strftime("%H:%M"), "kind": c.kind.label}
                    for c in courses],
        "people": [{"id": p.id, "name": p.short_name,
                    "chip": _hashed(salt, p.chip_id.strip()) if p.chip_id else None,
                    "person": _hashed(salt, person_key(p.last_name, p.birth_date.isoformat()))} for p in people],
        "checked_in": [[course_id, participant_id] for course_id, participant_id in checked_in],
    }


BROKEN = N_("Dieser Check-in ist unvollständig oder beschädigt und wurde nicht übernommen.")
BAD_TIME = N_("Der Zeitpunkt der Unterschrift ist ungültig.")


class BadReplay(ValueError):
    """The tablet sent something no check-in can come from (never stored); ``message`` says so in German."""

    def __init__(self, reason: str, message: str = BROKEN) -> None:
        super().__init__(reason)
        self.message = translate(message)


@dataclass(frozen=True)
class Queued:
    """One check-in from the tablet's queue, as sent."""

    client_id: str
    course_id: int
    participant_id: int
    signed_at: datetime
    signature_png: bytes

    @classmethod
    def parse(cls, data) -> Queued:
        if not isinstance(data, dict):
            raise BadReplay("not an object")
        try:
            client_id = str(uuid.UUID(str(data.get("id", ""))))
            course_id, participant_id = _id(data.get("course_id")), _id(data.get("participant_id"))
        except (ValueError, TypeError) as exc:
            raise BadReplay(str(exc)) from exc
        try:
            signed_at = parse_instant(str(data["signed_at"]))
        except (KeyError, ValueError) as exc:
            raise BadReplay(str(exc), BAD_TIME) from exc
        if signed_at < EARLIEST:
            raise BadReplay("signed_at from before any tablet", BAD_TIME)
        try:
            png = decode_signature(str(data.get("signature", "")))
        except (CheckInRefused, binascii.Error) as exc:
            raise BadReplay("signature") from exc
        return cls(client_id, course_id, participant_id, signed_at, png)


def _id(value) -> int:
    """A row id as JSON sends it: a whole number in the database's range (no true, no 1e30)."""
    if type(value) is not int or not 0 < value <= LARGEST_ID:
        raise BadReplay("not an id")
    return value


@dataclass(frozen=True)
class Replayed:
    row: OfflineCheckIn
    known: bool  # sent before: nothing was done this time


def _known(terminal: Terminal, client_id: str) -> OfflineCheckIn | None:
    return db.session.scalar(select(OfflineCheckIn).where(OfflineCheckIn.terminal_id == terminal.id,
                                                          OfflineCheckIn.client_id == client_id))


def replay(terminal: Terminal, queued: Queued, *, now: datetime | None = None) -> Replayed:
    """Apply a queued check-in once: the first arrival goes through the check-in service (with the
    day and time it was signed) and leaves a row for its id (unique per tablet) in the same
    transaction; a refusal is kept for "Zu klären" with its signature; any later arrival of the
    same id finds the first and changes nothing (the unique row says so: no lookup first, most ids
    arrive once). A replay is its own transaction: on a clash with one arriving at the same moment
    it is rolled back and tried once more, then finds what the other did. The caller commits."""
    for _attempt in range(2):
        try:
            return _apply(terminal, queued, now or utcnow())
        except IntegrityError:
            db.session.rollback()
            row = _known(terminal, queued.client_id)
            if row is not None:
                return Replayed(row, True)
    raise BadReplay("clashed twice")


def _apply(terminal: Terminal, queued: Queued, now: datetime) -> Replayed:
    found = db.session.execute(  # both in one query, of the tablet's group
        select(Course, Participant).join(Participant, Participant.group_id == Course.group_id)
        .where(Course.id == queued.course_id, Participant.id == queued.participant_id,
               Course.group_id == terminal.group_id)).first()
    if found is None:
        raise BadReplay("course or person unknown here")
    course, person = found
    day = queued.signed_at.astimezone(BERLIN).date()
    row = OfflineCheckIn(group_id=terminal.group_id, terminal_id=terminal.id, client_id=queued.client_id,
                         course_id=course.id, participant_id=person.id, day=day, signed_at=queued.signed_at,
                         received_at=now)
    if person.restricted_at is not None:  # erasure asked for: no new signature is kept, nothing to decide
        row.status, row.resolved_at = OfflineStatus.DISCARDED, now
        row.message = row.resolution_note = translate(N_("Verarbeitung eingeschränkt (Art. 18 DSGVO): nicht "
                                                         "gezählt, Unterschrift nicht gespeichert."))
        db.session.add(row)
        db.session.flush()
        return Replayed(row, False)
    try:
        refusal = _refusal(terminal, day, queued.signed_at, now)
        if refusal is not None:
            raise refusal
        result = check_in(person, course, day, queued.signature_png, terminal=terminal, now=queued.signed_at,
                          at_terminal=False)
    except CheckInRefused as refused:  # nothing was written: the rules decide before any write
        row.status, row.message, row.need = OfflineStatus.OPEN, refused.message, refused.need
        row.signature_png = queued.signature_png
        db.session.add(row)
        db.session.flush()  # a second arrival of the id stops here (IntegrityError)
        record("checkin.offline_refused", group_id=terminal.group_id, actor_label=f"Terminal {terminal.name}",
               details={"offline_id": row.id, "participant_id": person.id, "course": course.name,
                        "day": day.isoformat(), "reason": row.message})
        return Replayed(row, False)
    row.status, row.attendance_id = OfflineStatus.APPLIED, result.attendance.id
    db.session.add(row)
    db.session.flush()  # ... or here, taking the attendance back with it
    return Replayed(row, False)


def _refusal(terminal: Terminal, day: date, signed_at: datetime, now: datetime) -> CheckInRefused | None:
    """What keeps a queued check-in from being applied by itself, before the check-in rules look:
    the practice decides on it under "Zu klären"."""
    if signed_at > now + CLOCK_TOLERANCE:
        return CheckInRefused(translate(N_("Die Uhr des Tablets ging vor: Der Check-in trägt einen Zeitpunkt in "
                                           "der Zukunft.")))
    if terminal.revoked_at is not None:
        return CheckInRefused(translate(N_("Das Terminal wurde gesperrt, bevor dieser Check-in übertragen war.")))
    days = current_app.config["TERMINAL_OFFLINE_DAYS"]
    if day < now.astimezone(BERLIN).date() - timedelta(days=days):
        return CheckInRefused(translate(N_("Unterschrieben am %(day)s, übertragen erst jetzt: Bitte prüfen Sie, ob "
                                           "die Teilnahme stimmt."), day=date_filter(day)))
    return None


def open_items(group_id: int) -> list[OfflineCheckIn]:
    """The "Zu klären" list: refused offline check-ins not yet resolved, oldest first."""
    return list(db.session.scalars(select(OfflineCheckIn).where(
        OfflineCheckIn.group_id == group_id, OfflineCheckIn.status == OfflineStatus.OPEN)
        .order_by(OfflineCheckIn.signed_at, OfflineCheckIn.id)))


def signature_base64(row: OfflineCheckIn) -> str:
    return base64.b64encode(row.signature_png or b"").decode()


def _resolve(row: OfflineCheckIn, status: OfflineStatus, user, note: str | None) -> None:
    row.status, row.resolved_at, row.resolved_by_id = status, utcnow(), user.id
    row.resolution_note, row.signature_png = note, None


def accept(row: OfflineCheckIn, user, *, springer_reason: str | None = None,
           extra_reason: str | None = None) -> CheckInResult:
    """Take a refused offline check-in as an attendance after all, through the check-in service
    (with a reason where the rules ask for one); a refusal changes nothing. The caller commits."""
    if row.status != OfflineStatus.OPEN:
        raise CheckInRefused(translate(N_("Dieser Check-in ist bereits geklärt.")))
    if row.day > today_berlin():
        raise CheckInRefused(translate(N_("Ein Check-in für einen Tag in der Zukunft kann nicht zählen.")))
    with db.session.begin_nested():
        result = check_in(row.participant, row.course, row.day, row.signature_png, springer_reason=springer_reason,
                          extra_reason=extra_reason, user=user, now=row.signed_at)
    row.attendance_id = result.attendance.id
    _resolve(row, OfflineStatus.ACCEPTED, user, (springer_reason or extra_reason or "").strip() or None)
    record("checkin.offline_accepted", group_id=row.group_id, actor=user,
           details={"offline_id": row.id, "attendance_id": result.attendance.id, "participant_id": row.participant_id})
    return result


def discard(row: OfflineCheckIn, user, note: str) -> None:
    """Resolve a refused offline check-in as no attendance, with a note; its signature goes."""
    note = (note or "").strip()
    if row.status != OfflineStatus.OPEN:
        raise CheckInRefused(translate(N_("Dieser Check-in ist bereits geklärt.")))
    if not note:
        raise CheckInRefused(translate(N_("Bitte geben Sie an, warum der Check-in nicht gezählt wird.")))
    _resolve(row, OfflineStatus.DISCARDED, user, note)
    record("checkin.offline_discarded", group_id=row.group_id, actor=user,
           details={"offline_id": row.id, "participant_id": row.participant_id, "note": note})
