"""A course participant's data under the DSGVO: everything stored about them as JSON and PDF
(Art. 15), erasure on request where no retention duty stands against it (Art. 17), and the
retention job that removes people and signatures once the billing proof's retention period
(``CHECKIN_RETENTION_YEARS`` after a prescription's end) is over, keeping the counts of the
course sessions anonymised. Every export, erasure and retention run is audited."""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass
from datetime import date

from flask import current_app
from sqlalchemy import delete, select, update

from ..audit.services import record
from ..extensions import db
from ..i18n import N_, date_filter, translate
from ..jobs import fresh_session
from ..schedule.models import Course
from ..signals import course_members_changed
from ..timeutil import BERLIN, add_years, today_berlin, utcnow
from .models import Attendance, CourseMember, CourseSession, OfflineCheckIn, OfflineStatus, Participant, Prescription

ANONYMOUS = "anonymisiert"
PLACEHOLDER_BIRTH_DATE = date(1900, 1, 1)
JOB_ACTOR = "Aufbewahrungsfristen"


def prescription_end(prescription: Prescription) -> date:
    """The last valid day; a prescription never used ends on the day it was entered."""
    return prescription.expires_on() or prescription.created_at.astimezone(BERLIN).date()


def kept_until(prescription: Prescription) -> date:
    """The last day the prescription's billing proof must be kept (the retention rule, once)."""
    return add_years(prescription_end(prescription), current_app.config["CHECKIN_RETENTION_YEARS"])


def keep_until(person: Participant) -> date | None:
    """Until when the billing proof must be kept: the latest end of a prescription with units taken,
    plus the retention period; None when nothing was billed (nothing stands against erasure)."""
    used = db.session.scalars(select(Prescription).where(
        Prescription.participant_id == person.id,
        select(Attendance.id).where(Attendance.prescription_id == Prescription.id).exists())).all()
    if not used:
        return None
    return max(kept_until(p) for p in used)


def is_anonymised(person: Participant) -> bool:
    return person.last_name == ANONYMOUS and person.chip_id is None


def export(person: Participant, actor, fmt: str) -> dict:
    """Everything stored about the participant, signatures included (base64 PNG); audited."""
    attendances = db.session.execute(
        select(Attendance, CourseSession, Course).join(CourseSession, CourseSession.id == Attendance.session_id)
        .join(Course, Course.id == CourseSession.course_id).where(Attendance.participant_id == person.id)
        .order_by(CourseSession.day, CourseSession.start_time)).all()
    groups = db.session.scalars(select(Course).join(CourseMember, CourseMember.course_id == Course.id)
                                .where(CourseMember.participant_id == person.id).order_by(Course.name)).all()
    record("participant.exported", group_id=person.group_id, actor=actor,
           details={"participant_id": person.id, "format": fmt})
    until = keep_until(person)
    return {
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "participant": {"id": person.id, "first_name": person.first_name, "last_name": person.last_name,
                        "birth_date": person.birth_date.isoformat(), "chip_id": person.chip_id,
                        "restricted_at": person.restricted_at.isoformat(timespec="seconds")
                        if person.restricted_at else None},
        "prescriptions": [{"id": p.id, "kind": p.kind.value, "units_approved": p.units_approved,
                           "valid_months": p.valid_months, "payer": p.payer,
                           "insurance_number": p.insurance_number, "approval_number": p.approval_number,
                           "prescribed_on": p.prescribed_on.isoformat() if p.prescribed_on else None,
                           "approved_on": p.approved_on.isoformat() if p.approved_on else None,
                           "first_session_on": p.first_session_on.isoformat() if p.first_session_on else None,
                           "expires_on": p.expires_on().isoformat() if p.expires_on() else None}
                          for p in person.prescriptions],
        "course_groups": [{"id": c.id, "name": c.name} for c in groups],
        "attendances": [{"id": a.id, "day": s.day.isoformat(), "time": s.start_time.strftime("%H:%M"),
                         "course": c.name, "prescription_id": a.prescription_id, "springer": a.springer,
                         "reason": a.springer_reason or a.extra_reason, "late_reason": a.late_reason,
                         "checked_in_at": a.checked_in_at.isoformat(timespec="seconds"),
                         "cancelled_at": a.cancelled_at.isoformat(timespec="seconds") if a.cancelled_at else None,
                         "cancel_reason": a.cancel_reason,
                         "signature_png_base64": base64.b64encode(a.signature_png).decode()}
                        for a, s, c in attendances],
        "offline_check_ins": [{"id": o.id, "day": o.day.isoformat(), "course": o.course.name,
                               "signed_at": o.signed_at.isoformat(timespec="seconds"), "status": o.status.value,
                               "message": o.message, "resolution_note": o.resolution_note,
                               "signature_png_base64": base64.b64encode(o.signature_png).decode()
                               if o.signature_png else None}
                              for o in db.session.scalars(select(OfflineCheckIn).where(
                                  OfflineCheckIn.participant_id == person.id).order_by(OfflineCheckIn.signed_at))],
        "kept_until": until.isoformat() if until else None,
        "information": art15_information(person, until),
    }


def art15_information(person: Participant, until: date | None) -> dict[str, str]:
    """What Art. 15 (1) DSGVO asks to tell besides the data: purposes, recipients, storage period,
    origin and the person's rights (the same words in the JSON and the PDF)."""
    billed = set(db.session.scalars(select(Attendance.prescription_id).where(Attendance.participant_id == person.id)))
    payers = sorted({p.payer for p in person.prescriptions if p.payer and p.id in billed})
    years = current_app.config["CHECKIN_RETENTION_YEARS"]
    return {
        "purposes": translate(N_("Durchführung und Abrechnung von Rehabilitationssport und Funktionstraining: "
                                 "Verordnungen, Gruppenzugehörigkeit und Teilnahmen mit Unterschrift als "
                                 "Nachweis gegenüber dem Kostenträger.")),
        "recipients": (translate(N_("Kostenträger, denen Teilnahmen nachgewiesen werden: %(payers)s."),
                                 payers=", ".join(payers)) if payers else
                       translate(N_("Bisher niemand: Es wurde noch keine Teilnahme abgerechnet."))),
        "storage": (translate(N_("Bis %(date)s (%(years)s Jahre nach dem Ende der letzten abgerechneten "
                                 "Verordnung), danach gelöscht bzw. ohne Namen gezählt."),
                              date=date_filter(until), years=years) if until else
                    translate(N_("Bis zur Löschung auf Wunsch; ohne abgerechnete Teilnahme besteht keine "
                                 "Aufbewahrungspflicht."))),
        "origin": translate(N_("Von Ihnen bei der Anmeldung (oder aus der Teilnehmerliste der Praxis) und aus "
                               "Ihrer ärztlichen Verordnung; Teilnahmen beim Einchecken.")),
        "rights": translate(N_("Sie können Berichtigung (Art. 16), Löschung (Art. 17), Einschränkung der "
                               "Verarbeitung (Art. 18) und Datenübertragbarkeit (Art. 20) verlangen, der "
                               "Verarbeitung widersprechen (Art. 21) und sich bei einer "
                               "Datenschutz-Aufsichtsbehörde beschweren (Art. 77 DSGVO).")),
    }


def erase(person: Participant, actor) -> date | None:
    """Delete the participant with prescriptions, memberships, check-ins and signatures, unless a
    billing proof must still be kept: then processing is restricted instead (Art. 18 DSGVO, § 35
    BDSG: chip, course groups and waiting offline check-ins removed, no more check-ins) and the
    date the retention job removes the person is returned. The caller commits."""
    until = keep_until(person)
    if until is not None and until >= today_berlin():
        restrict(person, actor, until)
        return until
    attendances = db.session.scalar(select(db.func.count(Attendance.id)).where(Attendance.participant_id == person.id))
    record("participant.erased", group_id=person.group_id, actor=actor,
           details={"participant_id": person.id, "attendances": attendances})
    _delete(person.id)
    return None


def restrict(person: Participant, actor, until: date) -> None:
    """Keep only what the billing proof needs: the person can no longer check in or be identified
    by chip, belongs to no course group, and no offline check-in of theirs waits. Audited."""
    if not person.restricted:
        person.restricted_at = utcnow()
        record("participant.restricted", group_id=person.group_id, actor=actor,
               details={"participant_id": person.id, "until": until.isoformat()})
    person.chip_id = None
    course_members_changed.send(participant_ids=[person.id])
    db.session.execute(delete(CourseMember).where(CourseMember.participant_id == person.id))
    db.session.execute(delete(OfflineCheckIn).where(OfflineCheckIn.participant_id == person.id,
                                                    OfflineCheckIn.status == OfflineStatus.OPEN))


def _delete(participant_id: int) -> None:
    """Everything of the person, child rows first (no database cascade needed)."""
    db.session.execute(delete(OfflineCheckIn).where(OfflineCheckIn.participant_id == participant_id))
    db.session.execute(delete(Attendance).where(Attendance.participant_id == participant_id))
    course_members_changed.send(participant_ids=[participant_id])
    db.session.execute(delete(CourseMember).where(CourseMember.participant_id == participant_id))
    db.session.execute(delete(Prescription).where(Prescription.participant_id == participant_id))
    db.session.execute(delete(Participant).where(Participant.id == participant_id))


@dataclass
class RetentionReport:
    anonymised: int = 0  # people whose check-ins stay counted, without name, birth date, chip or signature
    deleted: int = 0  # people with nothing counted, removed with their prescriptions
    signatures: int = 0  # signatures removed


def apply_retention(today: date | None = None) -> RetentionReport:
    """Remove what is past the retention period: a participant all of whose prescriptions ended more
    than CHECKIN_RETENTION_YEARS ago. Check-ins stay as counts (the sessions' statistics), their
    person anonymised and their signatures removed. Audited per group; the caller commits."""
    today = today or today_berlin()
    report = RetentionReport()
    by_group: dict[int, RetentionReport] = {}
    people = db.session.scalars(select(Participant).join(Prescription, Prescription.participant_id == Participant.id)
                                .distinct().order_by(Participant.id)).all()
    for person in people:
        if is_anonymised(person):
            continue
        if any(kept_until(p) >= today for p in person.prescriptions):
            continue
        group = by_group.setdefault(person.group_id, RetentionReport())
        signed = db.session.scalar(select(db.func.count(Attendance.id)).where(Attendance.participant_id == person.id))
        if signed:
            db.session.execute(update(Attendance).where(Attendance.participant_id == person.id)
                               .values(signature_png=b"", springer_reason=None, extra_reason=None,
                                       cancel_reason=None, late_reason=None))
            db.session.execute(delete(OfflineCheckIn).where(OfflineCheckIn.participant_id == person.id))
            db.session.execute(update(Prescription).where(Prescription.participant_id == person.id).values(
                payer="", insurance_number="", approval_number="", prescribed_on=None, approved_on=None))
            course_members_changed.send(participant_ids=[person.id])
            db.session.execute(delete(CourseMember).where(CourseMember.participant_id == person.id))
            person.first_name, person.last_name = "", ANONYMOUS
            person.birth_date, person.chip_id = PLACEHOLDER_BIRTH_DATE, None
            group.anonymised += 1
            group.signatures += signed
        else:
            _delete(person.id)
            group.deleted += 1
    for group_id, counts in by_group.items():
        record("checkin.retention", group_id=group_id, actor_label=JOB_ACTOR,
               details={"anonymised": counts.anonymised, "deleted": counts.deleted, "signatures": counts.signatures})
        report.anonymised += counts.anonymised
        report.deleted += counts.deleted
        report.signatures += counts.signatures
    return report


@fresh_session
def retention_job() -> dict:
    """Daily (rq cron): apply the retention period; returns what it removed (also in the log)."""
    report = apply_retention()
    db.session.commit()
    current_app.logger.info("Aufbewahrungsfristen: %s anonymisiert, %s gelöscht, %s Unterschriften entfernt",
                            report.anonymised, report.deleted, report.signatures)
    return asdict(report)
