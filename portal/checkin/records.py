"""A participant's records at the front desk: the person, their prescriptions (Verordnungen)
and their course groups, each change audited. The caller commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..audit.services import apply_changes, record
from ..extensions import db
from ..i18n import N_, date_filter, translate
from ..schedule.models import Course
from ..signals import course_members_changed, schedule_changed
from ..sorting import sort_key
from .models import CourseMember, Participant, Prescription
from .services import CheckInRefused, counted_day, used_units


def update_participant(person: Participant, actor, **values) -> list[str]:
    """Correct a participant's name, date of birth or chip; audited with what changed (the old
    values stay out of the log: it is no second copy of personal data). The caller commits."""
    changed = list(apply_changes(person, values))
    if {"first_name", "last_name"} & set(changed):  # the therapists' databases list the course groups' names
        course_members_changed.send(participant_ids=[person.id])
    if changed:
        record("participant.updated", group_id=person.group_id, actor=actor,
               details={"participant_id": person.id, "fields": changed})
    return changed


def update_prescription(prescription: Prescription, actor, *, units_approved: int, valid_months: int,
                        payer: str, **payer_details) -> list[str]:
    """Correct a prescription (and its details for the payer: ``prescribed_on``, ``approved_on``,
    ``approval_number``, ``insurance_number``). The approved units cannot drop below those already
    taken, and the validity may not end before a check-in that counts. The caller commits."""
    used = used_units(prescription)
    if units_approved < used:
        raise CheckInRefused(translate(N_("Es sind bereits %(n)s Einheiten genommen; so viele müssen mindestens "
                                          "genehmigt sein."), n=used))
    last, expires = counted_day(prescription, func.max), prescription.expires_on(valid_months)
    if last is not None and expires is not None and last > expires:
        raise CheckInRefused(translate(N_("Mit dieser Gültigkeit endete die Verordnung am %(day)s, vor der letzten "
                                          "Teilnahme am %(last)s."), day=date_filter(expires),
                                       last=date_filter(last)))
    values = {"units_approved": units_approved, "valid_months": valid_months, "payer": payer or "", **payer_details}
    changed = list(apply_changes(prescription, values))
    if changed:
        record("prescription.updated", group_id=prescription.group_id, actor=actor,
               details={"prescription_id": prescription.id, "participant_id": prescription.participant_id,
                        "changes": {name: _stored(values[name]) for name in changed}})
    return changed


def _stored(value):
    """A value as the audit log keeps it (JSON: a date as its ISO form)."""
    return value.isoformat() if isinstance(value, date) else value



def create_participant(group_id: int, first_name: str, last_name: str, birth_date: date,
                       chip_id: str | None, actor) -> Participant:
    """Add a course participant to the group. The caller commits."""
    participant = Participant(group_id=group_id, first_name=first_name, last_name=last_name, birth_date=birth_date,
                              chip_id=chip_id or None)
    db.session.add(participant)
    db.session.flush()
    record("participant.created", group_id=group_id, details={"participant_id": participant.id}, actor=actor)
    return participant


def add_prescription(participant: Participant, kind: str, units_approved: int, valid_months: int, payer: str,
                     actor, **payer_details) -> Prescription:
    """Record a prescription (Verordnung) of the participant, with what of its details for the
    payer is known (see ``update_prescription``). The caller commits."""
    prescription = Prescription(group_id=participant.group_id, participant_id=participant.id, kind=kind,
                                units_approved=units_approved, valid_months=valid_months, payer=payer or "",
                                **payer_details)
    db.session.add(prescription)
    db.session.flush()
    record("prescription.created", group_id=participant.group_id, actor=actor,
           details={"participant_id": participant.id, "prescription_id": prescription.id, "kind": str(kind),
                    "units": units_approved})
    return prescription


def add_membership(participant: Participant, course: Course, actor) -> bool:
    """Make the participant a regular member of the course group; False when already one."""
    if db.session.get(CourseMember, (course.id, participant.id)) is not None:
        return False
    db.session.add(CourseMember(course_id=course.id, participant_id=participant.id))
    schedule_changed.send(therapist_ids=[course.therapist_id])
    record("course_member.added", group_id=participant.group_id, actor=actor,
           details={"participant_id": participant.id, "course_id": course.id})
    return True


def participants_of(group_id: int) -> list[Participant]:
    """The group's participants in German dictionary order ("Özdemir" between "Otto" and "Peters")."""
    found = db.session.scalars(select(Participant).where(Participant.group_id == group_id).order_by(Participant.id))
    return sorted(found, key=lambda p: (sort_key(p.last_name), sort_key(p.first_name), p.id))
