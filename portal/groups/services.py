"""Managing a group: its practices, and its licences (support), each change audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select

from ..audit.services import apply_changes, record
from ..extensions import db
from ..schedule.models import Appointment, Course
from ..signals import schedule_changed
from ..tenancy import Licence, LicenceKind, Practice, PracticeGroup, therapist_practice


class PracticeInUse(Exception):
    pass


PRACTICE_FIELDS = ("name", "city", "street", "postcode", "ik")
IN_THERAPIST_DATABASE = {"name", "city"}  # what the app shows of a practice (therapist_db.generator)


def add_practice(group_id: int, **fields: str) -> Practice:
    """A new practice of the group with ``PRACTICE_FIELDS`` (all but the name may be empty)."""
    practice = Practice(group_id=group_id, **{key: fields.get(key) or "" for key in PRACTICE_FIELDS})
    db.session.add(practice)
    db.session.flush()
    record("practice.created", group_id=group_id,
           details={"practice_id": practice.id, **{key: getattr(practice, key) for key in PRACTICE_FIELDS}})
    return practice


def update_practice(practice: Practice, **fields: str) -> None:
    """Change those of the practice's ``PRACTICE_FIELDS`` given; the app databases of those
    working there are written again when what they show changed."""
    changes = apply_changes(practice, {key: fields[key] or "" for key in PRACTICE_FIELDS if key in fields})
    if not changes:
        return
    if IN_THERAPIST_DATABASE & changes.keys():
        schedule_changed.send(therapist_ids=db.session.scalars(select(therapist_practice.c.therapist_id)
                                      .where(therapist_practice.c.practice_id == practice.id)))
        schedule_changed.send(therapist_ids=db.session.scalars(
            select(Appointment.therapist_id).where(Appointment.practice_id == practice.id)))
        schedule_changed.send(therapist_ids=db.session.scalars(
            select(Course.therapist_id).where(Course.practice_id == practice.id)))
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


def set_licence(group: PracticeGroup, kind: LicenceKind, valid_from: date, valid_until: date | None, actor) -> None:
    """Create or change one licence of a group (support only). The caller commits."""
    licence = group.licence(kind)
    before = None if licence is None else [str(licence.valid_from), str(licence.valid_until or "")]
    if licence is None:
        licence = Licence(kind=kind, valid_from=valid_from, valid_until=valid_until)
        group.licences.append(licence)
    licence.valid_from, licence.valid_until = valid_from, valid_until
    record("licence.updated", group_id=group.id, actor=actor,
           details={"kind": str(kind), "before": before, "after": [str(valid_from), str(valid_until or "")]})
