"""Test data builders. Each takes keyword overrides and adds to the current session."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal.calendars import address as addresses
from portal.codes import hashing
from portal.extensions import db
from portal.models import (
    Appointment,
    Attendance,
    CalendarKind,
    CalendarSubscription,
    CodeRequest,
    Course,
    CourseKind,
    CourseMember,
    CourseSession,
    Delivery,
    Device,
    Licence,
    LicenceKind,
    Participant,
    Practice,
    PracticeGroup,
    Prescription,
    Role,
    Therapist,
    User,
)
from portal.timeutil import today_berlin, utcnow

PASSWORD = "richtig-langes-passwort"
_seq = itertools.count(1)


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One real scrypt hash for every test user (computing it per user would slow the suite)."""
    return generate_password_hash(PASSWORD)


def group(name: str | None = None, licensed: bool = True) -> PracticeGroup:
    g = PracticeGroup(name=name or f"Gruppe {next(_seq)}")
    if licensed:
        g.licences = [Licence(kind=k, valid_from=date(2020, 1, 1), valid_until=None) for k in LicenceKind]
    db.session.add(g)
    db.session.flush()
    return g


def practice(g: PracticeGroup, name: str | None = None, city: str = "Köln") -> Practice:
    p = Practice(group_id=g.id, name=name or f"Praxis {next(_seq)}", city=city)
    db.session.add(p)
    db.session.flush()
    return p


def therapist(g: PracticeGroup, first_name: str = "Anna", last_name: str | None = None, email: str | None = "",
              practices=(), app_enabled: bool = False) -> Therapist:
    n = next(_seq)
    t = Therapist(
        group_id=g.id, first_name=first_name, last_name=last_name or f"Muster{n}",
        email=(f"therapeut{n}@praxis.example" if email == "" else email), app_enabled=app_enabled,
        practices=list(practices),
    )
    db.session.add(t)
    db.session.flush()
    return t


SUPPORT_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # support needs a second factor; the tests know it


def user(g: PracticeGroup | None, role: Role, email: str | None = None, active: bool = True,
         totp_secret: str | None = None) -> User:
    """A portal user with PASSWORD; support gets an authenticator app (SUPPORT_TOTP_SECRET)."""
    if totp_secret is None and role == Role.SUPPORT:
        totp_secret = SUPPORT_TOTP_SECRET
    u = User(email=email or f"{role}{next(_seq)}@portal.example", role=role, group_id=g.id if g else None,
             active=active, password_hash=password_hash(), totp_secret=totp_secret or None,
             totp_added_at=utcnow() if totp_secret else None)
    db.session.add(u)
    db.session.flush()
    return u


def appointment(t: Therapist, p: Practice, when: datetime | None = None,
                title: str = "Krankengymnastik") -> Appointment:
    """An appointment, by default some days after the portal clock's now."""
    a = Appointment(group_id=t.group_id, therapist_id=t.id, practice_id=p.id, title=title,
                    starts_at=when or utcnow().replace(microsecond=0) + timedelta(days=next(_seq) % 20 + 1),
                    duration_minutes=30)
    db.session.add(a)
    db.session.flush()
    return a


def calendar(t: Therapist, p: Practice, address: str = "https://calendar.google.com/calendar/ical/praxis/"
             "private-0123456789abcdef/basic.ics") -> CalendarSubscription:
    """A calendar subscription of the therapist (needs an app context for the encryption key)."""
    c = CalendarSubscription(group_id=t.group_id, therapist_id=t.id, practice_id=p.id, kind=CalendarKind.FEED,
                             address_encrypted=addresses.encrypt(address), address_digest=addresses.digest(address),
                             label=addresses.label(address))
    db.session.add(c)
    db.session.flush()
    return c


def course(g: PracticeGroup, p: Practice, t: Therapist | None = None, name: str = "Rücken fit",
           weekday: int = 0, start: time = time(9, 0), kind: CourseKind = CourseKind.REHASPORT,
           capacity: int = 15) -> Course:
    c = Course(group_id=g.id, practice_id=p.id, therapist_id=t.id if t else None, kind=kind, name=name,
               weekday=weekday, start_time=start, duration_minutes=45, capacity=capacity)
    db.session.add(c)
    db.session.flush()
    return c


def code_request(t: Therapist, delivery: Delivery = Delivery.ACCEPTED, code: str | None = None,
                 email: str | None = None, **values) -> CodeRequest:
    """A code request of the therapist; ``code`` stores that code's hash (valid 15 minutes from the
    portal clock's now when accepted)."""
    now = utcnow()
    accepted = delivery == Delivery.ACCEPTED
    r = CodeRequest(group_id=t.group_id, therapist_id=t.id, email=email or t.email, requested_at=now,
                    delivery=delivery, attempts=1 if accepted else 0, accepted_at=now if accepted else None,
                    expires_at=now + timedelta(minutes=15) if accepted else None, **values)
    db.session.add(r)
    db.session.flush()
    if code is not None:
        r.code_hash = hashing.code_hash(r.id, code)
        db.session.flush()
    return r


def device(t: Therapist, token: str | None = None, name: str = "iPhone", **values) -> Device:
    d = Device(group_id=t.group_id, therapist_id=t.id, name=name, platform="ios",
               token_hash=hashlib.sha256((token or f"token-{next(_seq)}").encode()).digest(), **values)
    db.session.add(d)
    db.session.flush()
    return d


def participant(g: PracticeGroup, first_name: str = "Petra", last_name: str = "Pohl", chip_id: str | None = None,
                birth_date: date = date(1950, 5, 1), units: int | None = 50, kind: CourseKind = CourseKind.REHASPORT,
                member_of: Course | None = None, payer: str = "AOK") -> Participant:
    """A course participant, by default with a prescription of ``units`` units (None: none) and,
    with ``member_of``, a regular member of that course group."""
    person = Participant(group_id=g.id, first_name=first_name, last_name=last_name, birth_date=birth_date,
                         chip_id=chip_id)
    db.session.add(person)
    db.session.flush()
    if units is not None:
        db.session.add(Prescription(group_id=g.id, participant_id=person.id, kind=kind, units_approved=units,
                                    valid_months=18, payer=payer))
    if member_of is not None:
        db.session.add(CourseMember(course_id=member_of.id, participant_id=person.id))
    db.session.flush()
    return person


def course_day(group_id: int, practice_id: int) -> dict:
    """Two Rehasport groups meeting today; Petra Pohl (chip 4711, 50 units) is a member of "Rücken fit"."""
    g, p = db.session.get(PracticeGroup, group_id), db.session.get(Practice, practice_id)
    weekday = today_berlin().weekday()
    back = course(g, p, name="Rücken fit", weekday=weekday, start=time(9))
    heart = course(g, p, name="Herzsport", weekday=weekday, start=time(18))
    petra = participant(g, chip_id="4711", member_of=back)
    db.session.commit()
    return {"back": back.id, "heart": heart.id, "petra": petra.id}


def at(day: date, hour: int = 9) -> datetime:
    """A UTC instant on that day (for appointments)."""
    return datetime.combine(day, time(hour), UTC)


def attendance(course_id: int, participant_id: int, day: date | None = None, **values) -> Attendance:
    """A signed attendance of the participant (on their latest prescription) in the course's session."""
    course_ = db.session.get(Course, course_id)
    person = db.session.get(Participant, participant_id)
    session = CourseSession(group_id=course_.group_id, course_id=course_.id, day=day or today_berlin(),
                            start_time=course_.start_time)
    db.session.add(session)
    db.session.flush()
    prescription = db.session.scalars(select(Prescription).where(Prescription.participant_id == person.id)
                                      .order_by(Prescription.id.desc())).first()
    entry = Attendance(group_id=course_.group_id, session_id=session.id, participant_id=person.id,
                       prescription_id=prescription.id,
                       signature_png=values.pop("signature_png", b"\x89PNG\r\n\x1a\n" + b"0" * 100), **values)
    db.session.add(entry)
    db.session.flush()
    return entry
