"""The group's progress in setting up the therapist app: four steps computed from the data."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import exists, select

from ..codes.models import CodeRequest, Delivery
from ..extensions import db
from ..groups.models import PracticeGroup
from ..i18n import N_, translate
from ..schedule.models import Appointment, Course
from .models import Therapist


@dataclass(frozen=True)
class Step:
    done: bool
    label: str
    url: str
    action: str


def onboarding_steps(group: PracticeGroup) -> list[Step]:
    """"Einrichtung der Therapeuten-App: n/4" – licences, an e-mail, a schedule, an activation."""
    def any_of(*conditions) -> bool:
        return bool(db.session.scalar(select(exists().where(*conditions))))

    with_email = any_of(Therapist.group_id == group.id, Therapist.email.is_not(None))
    scheduled = any_of(Appointment.group_id == group.id) or any_of(Course.group_id == group.id,
                                                                    Course.therapist_id.is_not(None))
    activated = any_of(CodeRequest.group_id == group.id, CodeRequest.delivery == Delivery.ACCEPTED,
                       CodeRequest.therapist_id == Therapist.id, Therapist.app_enabled.is_(True))
    return [
        Step(group.app_licences_ok(), translate(N_("Sync- und App-Lizenz sind aktiv")), url_for("groups.index"),
             translate(N_("Lizenzen ansehen"))),
        Step(with_email, translate(N_("Ein Therapeut mit E-Mail-Adresse ist angelegt")), url_for("therapists.new"),
             translate(N_("Therapeut anlegen"))),
        Step(scheduled, translate(N_("Einem Therapeuten ist ein Termin oder Kurs zugeordnet")),
             url_for("therapists.index"), translate(N_("Bei einem Therapeuten auf „Termine“ klicken"))),
        Step(activated, translate(N_("Die App ist aktiviert und ein Zugangscode gesendet")),
             url_for("therapists.index", ready="nein"), translate(N_("Therapeuten, die noch nicht bereit sind"))),
    ]
