"""Which of the spec's app prerequisites a therapist meets (rules 1 and 2a–2c)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import ngettext

from ..i18n import N_, translate

# what the list's readiness mark names when an item of rules 1 and 2a–2c is not met
PROBLEMS = {
    "licence": N_("Sync- oder App-Lizenz der Praxisgruppe fehlt"),
    "email": N_("Keine E-Mail-Adresse hinterlegt oder vom Mailserver abgelehnt"),
    "app": N_("App nicht aktiviert"),
    "schedule": N_("Kein Termin und kein Kurs zugeordnet"),
}


def _states(therapist, has_schedule: bool, licences_ok: bool) -> dict[str, bool]:
    return {
        "licence": licences_ok,
        "email": bool(therapist.email) and not therapist.email_refused,
        "app": bool(therapist.app_enabled),
        "schedule": has_schedule,
    }


def readiness_problems(therapist, *, has_schedule: bool, licences_ok: bool) -> list[str]:
    """The unmet items as translated text, for the list's readiness mark."""
    states = _states(therapist, has_schedule, licences_ok)
    return [translate(problem) for key, problem in PROBLEMS.items() if not states[key]]


def row_labels() -> dict:
    """The list row's fixed texts, translated once per table instead of once per row."""
    return {
        "activated": translate(N_("aktiviert")),
        "not_activated": translate(N_("nicht aktiviert")),
        "ready": translate(N_("bereit")),
        "details": translate(N_("Details")),
        "schedule": translate(N_("Termine")),
        # the name is filled in per row with |format
        "details_of": translate(N_("Details von %(name)s"), name="%(name)s"),
        "schedule_of": translate(N_("Termine und Kurse von %(name)s"), name="%(name)s"),
        "open_items": {n: ngettext("%(num)s Punkt offen", "%(num)s Punkte offen", n) for n in range(1, 5)},
    }


@dataclass(frozen=True)
class Fix:
    label: str
    url: str | None = None  # a link (or an anchor in the dialog)
    post: str | None = None  # an action the button posts


@dataclass(frozen=True)
class CheckItem:
    key: str
    ok: bool
    text: str
    fix: Fix | None
    pending: bool = False


CHECKS = {
    "licence": (N_("Praxisgruppe hat Sync- und App-Lizenz"), N_("Es fehlt eine gültige %(missing)s")),
    "email": (N_("E-Mail-Adresse hinterlegt"), N_("Keine E-Mail-Adresse hinterlegt")),
    "deliverable": (N_("Adresse vom Mailserver angenommen"),
                    N_("Der Mailserver hat die Adresse abgelehnt: %(answer)s")),
    "app": (N_("App aktiviert"), N_("„App aktivieren“ ist nicht gesetzt")),
    "withdrawn": (N_("Berechtigung nicht entzogen"), N_("Die Berechtigung wurde am %(when)s entzogen")),
    "schedule": (N_("Mindestens ein Termin oder Kurs zugeordnet"), N_("Kein Termin und kein Kurs zugeordnet")),
    "database": (N_("Therapeuten-Datenbank erzeugt"), N_("Die Therapeuten-Datenbank fehlt noch")),
    "code": (N_("Zugangscode gesendet"), N_("Noch kein Zugangscode an diese Adresse gesendet")),
}


def checklist(therapist) -> list[CheckItem]:
    """"Warum kann sich … nicht anmelden?": rules 1–2 of the spec plus a refused address, an
    expired licence and a withdrawal, each with its live state and the action that fixes it."""
    from flask import url_for
    from sqlalchemy import select

    from ..appdb.models import TherapistDatabase
    from ..appdb.services import ready_database
    from ..audit.models import AuditEvent
    from ..codes.models import CodeRequest, Delivery
    from ..extensions import db
    from ..groups.models import LicenceKind
    from ..i18n import datetime_filter
    from .queries import therapist_has_schedule

    group = therapist.group
    missing = [translate(label) for kind, label in ((LicenceKind.SYNC, N_("Sync-Lizenz")),
                                                    (LicenceKind.APP, N_("App-Lizenz"))) if not group.has_licence(kind)]
    last_authorisation = db.session.scalars(
        select(AuditEvent).where(AuditEvent.therapist_id == therapist.id, AuditEvent.action.in_(
            ["therapist.authorisation_withdrawn", "therapist.app_activated"])).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    withdrawn = (last_authorisation is not None and last_authorisation.action == "therapist.authorisation_withdrawn"
                 and not therapist.app_enabled)
    record = db.session.get(TherapistDatabase, therapist.id)
    database_ok = ready_database(therapist) is not None
    latest = db.session.scalars(select(CodeRequest).where(CodeRequest.therapist_id == therapist.id)
                                .order_by(CodeRequest.id.desc()).limit(1)).first()
    code_ok = therapist.email is not None and db.session.scalar(
        select(CodeRequest.id).where(CodeRequest.therapist_id == therapist.id, CodeRequest.email == therapist.email,
                                     CodeRequest.delivery == Delivery.ACCEPTED).limit(1)) is not None
    edit_email = Fix(translate(N_("E-Mail-Adresse bearbeiten")), url="#email")
    tick_app = Fix(translate(N_("„App aktivieren“ setzen und OK klicken")), url="#app_enabled")
    states = {
        "licence": (not missing, {"missing": " / ".join(missing)},
                    Fix(translate(N_("Lizenz beim Kundenservice anfragen")), url=url_for("groups.index"))),
        "email": (bool(therapist.email), {}, edit_email),
        "deliverable": (not therapist.email_refused, {"answer": therapist.email_refused or ""}, edit_email),
        "app": (therapist.app_enabled, {}, tick_app),
        "withdrawn": (not withdrawn, {"when": datetime_filter(last_authorisation.created_at)
                                      if last_authorisation else ""}, tick_app),
        "schedule": (therapist_has_schedule(therapist.id), {},
                     Fix(translate(N_("Termin oder Kurs zuordnen")),
                         url=url_for("schedule.page", therapist_id=therapist.id))),
        "database": (database_ok, {}, Fix(translate(N_("Datenbank jetzt erzeugen")),
                                          post=url_for("therapists.generate_database", therapist_id=therapist.id))),
        "code": (code_ok, {}, Fix(translate(N_("Zugangscode senden")),
                                  post=url_for("codes.resend", therapist_id=therapist.id, scope="dialog"))),
    }
    pending = {
        "database": therapist.app_enabled and (record is None or record.stale),
        "code": latest is not None and latest.delivery in (Delivery.PENDING, Delivery.QUEUED, Delivery.SENDING),
    }
    items = []
    for key, (ok, values, fix) in states.items():
        label, problem = CHECKS[key]
        items.append(CheckItem(key, bool(ok), translate(label) if ok else translate(problem, **values),
                               None if ok else fix, bool(pending.get(key)) and not ok))
    return items
