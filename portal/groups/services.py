"""Managing a group's practices, each change audited."""

from __future__ import annotations

from sqlalchemy import exists, func, select

from ..appdb.services import mark_stale
from ..audit.services import record
from ..extensions import db
from ..schedule.models import Appointment, Course
from ..therapists.models import therapist_practice
from .models import Practice


class PracticeInUse(Exception):
    pass


def name_taken(group_id: int, name: str, exclude_id: int | None = None) -> bool:
    query = select(Practice.id).where(Practice.group_id == group_id, func.lower(Practice.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Practice.id != exclude_id)
    return db.session.scalar(query) is not None


def add_practice(group_id: int, name: str, city: str) -> Practice:
    practice = Practice(group_id=group_id, name=name, city=city or "")
    db.session.add(practice)
    db.session.flush()
    record("practice.created", group_id=group_id, details={"practice_id": practice.id, "name": name, "city": city})
    return practice


def update_practice(practice: Practice, name: str, city: str) -> None:
    wanted = {"name": name, "city": city or ""}
    changes = {key: [getattr(practice, key), value] for key, value in wanted.items() if getattr(practice, key) != value}
    if not changes:
        return
    practice.name, practice.city = name, city or ""
    mark_stale(db.session.scalars(select(therapist_practice.c.therapist_id)
                                  .where(therapist_practice.c.practice_id == practice.id)))
    mark_stale(db.session.scalars(select(Appointment.therapist_id).where(Appointment.practice_id == practice.id)))
    mark_stale(db.session.scalars(select(Course.therapist_id).where(Course.practice_id == practice.id)))
    record("practice.updated", group_id=practice.group_id, details={"practice_id": practice.id, "changes": changes})


def delete_practice(practice: Practice) -> None:
    """Delete a practice nobody works in; raises ``PracticeInUse`` otherwise."""
    in_use = db.session.scalar(
        select(
            exists().where(therapist_practice.c.practice_id == practice.id)
            | exists().where(Appointment.practice_id == practice.id)
            | exists().where(Course.practice_id == practice.id)
        )
    )
    if in_use:
        raise PracticeInUse(practice.name)
    record("practice.deleted", group_id=practice.group_id, details={"practice_id": practice.id, "name": practice.name})
    db.session.delete(practice)
