"""The group's progress in setting up the therapist app: four steps, read off the readiness rules."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import url_for
from flask_login import current_user
from sqlalchemy import bindparam, exists, select

from ..auth.permissions import Permission, can
from ..extensions import db
from ..i18n import N_, translate
from ..readiness import all_met
from ..tenancy import PracticeGroup, Therapist, app_licences_active
from ..timeutil import today_param


@dataclass(frozen=True)
class Step:
    done: bool
    label: str
    url: str | None  # where it is done; None when this user cannot do it
    action: str


@cache
def _progress():
    """The steps' state for the group ``:group_id`` (built once; today is read when it runs)."""
    group_id = bindparam("group_id")

    def someone(*keys: str):
        return exists().where(Therapist.group_id == group_id, *all_met(Therapist, keys))

    return select(app_licences_active(group_id, today_param()), someone("email"), someone("schedule"),
                  someone("app", "code"))


def onboarding_steps(group: PracticeGroup) -> list[Step]:
    """"Einrichtung der Therapeuten-App: n/4" – the licences, then some therapist meeting the
    e-mail rule, the schedule rule, and the app and code rules together. One query."""
    licensed, with_email, scheduled, activated = db.session.execute(_progress(), {"group_id": group.id}).one()
    return [
        Step(bool(licensed), translate(N_("Sync- und App-Lizenz sind aktiv")),
             url_for("groups.index") if can(current_user, Permission.VIEW_GROUP) else None,
             translate(N_("Lizenzen ansehen"))),
        Step(bool(with_email), translate(N_("Ein Therapeut mit E-Mail-Adresse ist angelegt")),
             url_for("therapists.new"), translate(N_("Therapeut anlegen"))),
        Step(bool(scheduled), translate(N_("Einem Therapeuten ist ein Termin oder Kurs zugeordnet")),
             url_for("therapists.index"), translate(N_("Bei einem Therapeuten auf „Termine“ klicken"))),
        Step(bool(activated), translate(N_("Die App ist aktiviert und ein Zugangscode gesendet")),
             url_for("therapists.index", ready="nein"), translate(N_("Therapeuten, die noch nicht bereit sind"))),
    ]
