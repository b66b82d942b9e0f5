"""The terminal without a connection: what the tablet keeps for a day (today's courses and what
identification needs) and the check-ins it queued offline, applied once per id when they arrive;
those the rules refuse then wait in "Zu klären" (``clarify``) for the practice."""

from __future__ import annotations

import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from argon2.low_level import Type, hash_secret_raw
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..extensions import db
from ..i18n import N_, date_filter, translate
from ..schedule.models import Course
from ..timeutil import BERLIN, parse_instant, utcnow
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
    check_in,
    courses_on,
    decode_signature,
    folded,
    usable,
    with_units_used,
)

CLOCK_TOLERANCE = timedelta(minutes=10)  # a tablet's clock may run a little ahead or behind
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)  # before this no tablet signed anything: a broken clock or junk
LARGEST_ID = 2**31 - 1
# What identification by chip or name costs the tablet per person it holds, and anyone who reads its
# storage per guess and person: Argon2id (RFC 9106) over an HMAC with the pairing's key. Small enough
# for a few hundred people on a tablet (about 1 ms a person in WebAssembly), sent with the day's data.
KDF = {"algorithm": "argon2id", "memory_kib": 1024, "iterations": 1, "parallelism": 1, "length": 16}


def identification_key(terminal: Terminal) -> bytes:
    """The key of this pairing (it changes with every pairing): derived from SECRET_KEY, handed only
    to the paired tablet's pages, never into the day's data."""
    root = hmac.new(current_app.config["SECRET_KEY"].encode(), b"terminal-identification-v1", hashlib.sha256).digest()
    return hmac.new(root, f"{terminal.id}|{terminal.token_hash.hex()}".encode(), hashlib.sha256).digest()


def derive(key: bytes, salt: bytes, kind: str, value: str) -> str:
    """What the tablet compares for one person: Argon2id (KDF) of HMAC-SHA256(key, "kind|value"),
    with the person's salt, as hex. static/terminal/identity.js computes the same from what is typed."""
    secret = hmac.new(key, f"{kind}|{value}".encode(), hashlib.sha256).digest()
    return hash_secret_raw(secret, salt, time_cost=KDF["iterations"], memory_cost=KDF["memory_kib"],
                           parallelism=KDF["parallelism"], hash_len=KDF["length"], type=Type.ID).hex()


def person_key(last_name: str, birth_date: str) -> str:
    """What identification by name compares: the folded last name and the ISO date of birth
    (static/terminal/identity.js builds the same from what is typed)."""
    return f"{folded(last_name)}|{birth_date}"


def _tickets() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="terminal-day")


def _pairing(terminal: Terminal) -> str:
    return terminal.token_hash.hex()[:16]


def day_ticket(terminal: Terminal, day: date, now: datetime) -> str:
    """The proof that this pairing was given the data of this day at this time: a check-in the
    tablet made offline carries it, and counts only when signed on that day after that time."""
    return _tickets().dumps([terminal.id, _pairing(terminal), day.isoformat(), int(now.timestamp())])


def snapshot(terminal: Terminal, day: date, now: datetime | None = None) -> dict:
    """What the tablet may keep for the day, and nothing more: today's courses, who checked in to
    them so far, the day's ticket, and for identification the people who can check in today (a
    member of a course group of today's kinds with a usable prescription of that kind): their id,
    the name the terminal greets with (first name and initial), a salt, and their chip and last name
    with date of birth only as a slow keyed derivation (``derive``) whose key is not in here."""
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
    key = identification_key(terminal)
    return {
        "day": day.isoformat(),
        "terminal": terminal.id,
        "terminal_name": terminal.name,
        "ticket": day_ticket(terminal, day, now or utcnow()),
        "kdf": KDF,
        "courses": [{"id": c.id, "name": c.name, "time": c.start_time.strftime("%H:%M"), "kind": c.kind.label}
                    for c in courses],
        "people": [_identifiable(key, p) for p in people],
        "checked_in": [[course_id, participant_id] for course_id, participant_id in checked_in],
    }


def _identifiable(key: bytes, person: Participant) -> dict:
    salt = hmac.new(key, f"salt|{person.id}".encode(), hashlib.sha256).digest()[:16]
    return {"id": person.id, "name": person.short_name, "salt": salt.hex(),
            "chip": _derived(key, salt, "chip", person.chip_id.strip()) if person.chip_id else None,
            "person": _derived(key, salt, "person", person_key(person.last_name, person.birth_date.isoformat()))}


@lru_cache(maxsize=4096)
def _derived(key: bytes, salt: bytes, kind: str, value: str) -> str:
    """``derive``, kept per process: the tablet asks for the day's data on every page."""
    return derive(key, salt, kind, value)


BROKEN = N_("Dieser Check-in ist unvollständig oder beschädigt und wurde nicht übernommen.")
BAD_TIME = N_("Der Zeitpunkt der Unterschrift ist ungültig.")
NOT_KEPT = N_("Dieser Check-in passt nicht zu den Tagesdaten, die dieses Tablet vom Portal bekommen hat, und wurde "
              "nicht übernommen.")
TOO_MANY = N_("Von diesem Tablet kamen für diesen Tag schon %(n)s nachgetragene Check-ins; weitere nimmt das Portal "
              "nicht an.")


class BadReplay(ValueError):
    """The tablet sent something no check-in can come from (never stored); ``message`` says so in
    German (one of the messages above, with its values)."""

    def __init__(self, reason: str, message: str = BROKEN, **values) -> None:
        super().__init__(reason)
        self.message = translate(message, **values)


@dataclass(frozen=True)
class Queued:
    """One check-in from the tablet's queue, as sent."""

    client_id: str
    course_id: int
    participant_id: int
    signed_at: datetime
    signature_png: bytes
    ticket: str

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
        ticket = data.get("ticket")
        if not isinstance(ticket, str) or not 0 < len(ticket) <= 200:
            raise BadReplay("no day ticket", NOT_KEPT)
        try:
            png = decode_signature(str(data.get("signature", "")))
        except (CheckInRefused, binascii.Error) as exc:
            raise BadReplay("signature") from exc
        return cls(client_id, course_id, participant_id, signed_at, png, ticket)


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


def refuse_after_lock(terminal: Terminal, now: datetime | None = None) -> None:
    """A locked terminal hands over nothing (whatever it still holds could have been made after the
    lock by whoever has the tablet): the refusal is only counted, for the practice to see. The
    caller commits."""
    db.session.execute(update(Terminal).where(Terminal.id == terminal.id).values(
        refused_after_lock=Terminal.refused_after_lock + 1, last_refused_at=now or utcnow()))


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


def kept_window(terminal: Terminal, queued: Queued) -> None:
    """A check-in counts only inside the window the tablet really kept offline: on the day of the
    day's data it carries (given to this pairing, so after the pairing) and after that data came;
    BadReplay otherwise."""
    try:
        terminal_id, pairing, day, issued = _tickets().loads(queued.ticket)
        issued_at = datetime.fromtimestamp(int(issued), UTC)
    except (BadData, ValueError, TypeError, OverflowError, OSError) as exc:
        raise BadReplay("day ticket not genuine", NOT_KEPT) from exc
    if (terminal_id != terminal.id or terminal.token_hash is None or pairing != _pairing(terminal)
            or day != queued.signed_at.astimezone(BERLIN).date().isoformat()
            or queued.signed_at < issued_at - CLOCK_TOLERANCE):
        raise BadReplay("outside the window this tablet kept", NOT_KEPT)


def _within_cap(terminal: Terminal, queued: Queued, day: date) -> Replayed | None:
    """At the cap of check-ins a tablet may send for one day: the earlier answer for an id sent
    before, BadReplay for a new one; None below the cap."""
    cap = current_app.config["TERMINAL_OFFLINE_DAILY_CAP"]
    sent = db.session.scalar(select(func.count(OfflineCheckIn.id)).where(OfflineCheckIn.terminal_id == terminal.id,
                                                                         OfflineCheckIn.day == day))
    if sent < cap:
        return None
    row = _known(terminal, queued.client_id)
    if row is None:
        raise BadReplay("over the cap", TOO_MANY, n=cap)
    return Replayed(row, True)


def _apply(terminal: Terminal, queued: Queued, now: datetime) -> Replayed:
    kept_window(terminal, queued)
    found = db.session.execute(  # both in one query, of the tablet's group
        select(Course, Participant).join(Participant, Participant.group_id == Course.group_id)
        .where(Course.id == queued.course_id, Participant.id == queued.participant_id,
               Course.group_id == terminal.group_id)).first()
    if found is None:
        raise BadReplay("course or person unknown here")
    course, person = found
    day = queued.signed_at.astimezone(BERLIN).date()
    capped = _within_cap(terminal, queued, day)
    if capped is not None:
        return capped
    row = OfflineCheckIn(group_id=terminal.group_id, terminal_id=terminal.id, client_id=queued.client_id,
                         course_id=course.id, participant_id=person.id, day=day, signed_at=queued.signed_at,
                         received_at=now)
    if person.restricted:  # erasure asked for: no new signature is kept, nothing to decide
        row.status, row.resolved_at = OfflineStatus.DISCARDED, now
        row.message = row.resolution_note = translate(N_("Verarbeitung eingeschränkt (Art. 18 DSGVO): nicht "
                                                         "gezählt, Unterschrift nicht gespeichert."))
        db.session.add(row)
        db.session.flush()
        return Replayed(row, False)
    try:
        refusal = _refusal(day, queued.signed_at, now)
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


def _refusal(day: date, signed_at: datetime, now: datetime) -> CheckInRefused | None:
    """What keeps a queued check-in from being applied by itself, before the check-in rules look:
    the practice decides on it under "Zu klären"."""
    if signed_at > now + CLOCK_TOLERANCE:
        return CheckInRefused(translate(N_("Die Uhr des Tablets ging vor: Der Check-in trägt einen Zeitpunkt in "
                                           "der Zukunft.")))
    days = current_app.config["TERMINAL_OFFLINE_DAYS"]
    if day < now.astimezone(BERLIN).date() - timedelta(days=days):
        return CheckInRefused(translate(N_("Unterschrieben am %(day)s, übertragen erst jetzt: Bitte prüfen Sie, ob "
                                           "die Teilnahme stimmt."), day=date_filter(day)))
    return None
