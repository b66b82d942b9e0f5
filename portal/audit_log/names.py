"""The names behind the ids in a page of audit entries, looked up at once when the page is shown.

The log stores ids (an entry is never changed, and it is no second copy of personal data); the
Protokoll shows what a practice knows instead: the participant's name, the course and day of a
session, the user's name. What was deleted since says so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from ..auth.models import User
from ..checkin.models import CourseSession, Participant, Prescription, Terminal
from ..extensions import db
from ..i18n import N_, date_filter, time_filter, translate
from ..schedule.models import Course
from ..tenancy import Practice, Therapist

# detail key -> the kind of object its id names
ID_KEYS = {
    "participant_id": "participants", "session_id": "sessions", "from_session_id": "sessions",
    "to_session_id": "sessions", "course_id": "courses", "practice_id": "practices", "user_id": "users",
    "previous_therapist_id": "therapists", "prescription_id": "prescriptions", "terminal_id": "terminals",
}


@dataclass
class Names:
    """Per kind of object: id -> how the Protokoll names it."""

    participants: dict[int, str] = field(default_factory=dict)
    sessions: dict[int, str] = field(default_factory=dict)
    courses: dict[int, str] = field(default_factory=dict)
    practices: dict[int, str] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)
    therapists: dict[int, str] = field(default_factory=dict)
    prescriptions: dict[int, str] = field(default_factory=dict)
    terminals: dict[int, str] = field(default_factory=dict)

    def of(self, kind: str, value) -> str | None:
        """The name of the object ``value`` (an id) of that kind; None when it no longer exists."""
        return getattr(self, kind).get(value) if isinstance(value, int) else None


def names_for(entries: Iterable) -> Names:
    """Look up every object the entries' details and actors name, one query per kind."""
    wanted: dict[str, set[int]] = {kind: set() for kind in set(ID_KEYS.values())}
    for entry in entries:
        if entry.actor_id:
            wanted["users"].add(entry.actor_id)
        for key, value in (entry.details or {}).items():
            if key in ID_KEYS and isinstance(value, int):
                wanted[ID_KEYS[key]].add(value)
    names = Names()
    if ids := wanted["participants"]:
        names.participants = {p.id: p.full_name for p in _rows(Participant, ids)}
    if ids := wanted["sessions"]:
        names.sessions = {s.id: translate(N_("%(course)s am %(day)s, %(time)s Uhr"), course=s.course.name,
                                          day=date_filter(s.day), time=time_filter(s.start_time))
                          for s in _rows(CourseSession, ids)}
    if ids := wanted["courses"]:
        names.courses = {c.id: c.name for c in _rows(Course, ids)}
    if ids := wanted["practices"]:
        names.practices = {p.id: p.name for p in _rows(Practice, ids)}
    if ids := wanted["users"]:
        names.users = {u.id: u.display_name for u in _rows(User, ids)}
    if ids := wanted["therapists"]:
        names.therapists = {t.id: t.full_name for t in _rows(Therapist, ids)}
    if ids := wanted["prescriptions"]:
        names.prescriptions = {p.id: p.kind.label for p in _rows(Prescription, ids)}
    if ids := wanted["terminals"]:
        names.terminals = {t.id: t.name for t in _rows(Terminal, ids)}
    return names


def _rows(model, ids: set[int]):
    return db.session.scalars(select(model).where(model.id.in_(ids)))
