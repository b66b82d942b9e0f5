"""Test data builders. Each takes keyword overrides and adds to the current session."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from werkzeug.security import generate_password_hash

from portal.extensions import db
from portal.models import (
    Appointment,
    Course,
    CourseKind,
    Licence,
    LicenceKind,
    Practice,
    PracticeGroup,
    Role,
    Therapist,
    User,
)

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


def user(g: PracticeGroup | None, role: Role, email: str | None = None, active: bool = True) -> User:
    u = User(email=email or f"{role}{next(_seq)}@portal.example", role=role, group_id=g.id if g else None,
             active=active, password_hash=password_hash())
    db.session.add(u)
    db.session.flush()
    return u


def appointment(t: Therapist, p: Practice, when: datetime | None = None,
                title: str = "Krankengymnastik") -> Appointment:
    a = Appointment(group_id=t.group_id, therapist_id=t.id, practice_id=p.id, title=title,
                    starts_at=when or datetime(2026, 11, 26, 9, 0, tzinfo=UTC) + timedelta(days=next(_seq)),
                    duration_minutes=30)
    db.session.add(a)
    db.session.flush()
    return a


def course(g: PracticeGroup, p: Practice, t: Therapist | None = None, name: str = "Rücken fit") -> Course:
    c = Course(group_id=g.id, practice_id=p.id, therapist_id=t.id if t else None, kind=CourseKind.REHASPORT,
               name=name, weekday=0, start_time=time(9, 0), duration_minutes=45, capacity=15)
    db.session.add(c)
    db.session.flush()
    return c


def course_day(group_id: int, practice_id: int) -> dict:
    """Two Rehasport groups meeting today; Petra Pohl (chip 4711, 50 units) is a member of "Rücken fit"."""
    from portal.checkin.models import CourseMember, Participant, Prescription
    from portal.timeutil import today_berlin

    weekday = today_berlin().weekday()
    back = Course(group_id=group_id, practice_id=practice_id, kind=CourseKind.REHASPORT, name="Rücken fit",
                  weekday=weekday, start_time=time(9), capacity=15)
    heart = Course(group_id=group_id, practice_id=practice_id, kind=CourseKind.REHASPORT, name="Herzsport",
                   weekday=weekday, start_time=time(18), capacity=15)
    petra = Participant(group_id=group_id, first_name="Petra", last_name="Pohl", birth_date=date(1950, 5, 1),
                        chip_id="4711")
    db.session.add_all([back, heart, petra])
    db.session.flush()
    db.session.add(Prescription(group_id=group_id, participant_id=petra.id, kind=CourseKind.REHASPORT,
                                units_approved=50, payer="AOK"))
    db.session.add(CourseMember(course_id=back.id, participant_id=petra.id))
    db.session.commit()
    return {"back": back.id, "heart": heart.id, "petra": petra.id}
