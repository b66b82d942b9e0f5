"""Which of the spec's app prerequisites a therapist meets (rules 1 and 2a–2c)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import ngettext

from ..i18n import N_, translate


@dataclass(frozen=True)
class ReadinessItem:
    key: str
    ok: bool
    label: str
    problem: str


# key, label when met, problem when not met
ITEMS = (
    ("licence", N_("Praxisgruppe hat Sync- und App-Lizenz"), N_("Sync- oder App-Lizenz der Praxisgruppe fehlt")),
    ("email", N_("Gültige, empfangsbereite E-Mail-Adresse hinterlegt"),
     N_("Keine E-Mail-Adresse hinterlegt oder vom Mailserver abgelehnt")),
    ("app", N_("App aktiviert"), N_("App nicht aktiviert")),
    ("schedule", N_("Mindestens ein Termin oder Kurs zugeordnet"), N_("Kein Termin und kein Kurs zugeordnet")),
)


def _states(therapist, has_schedule: bool, licences_ok: bool) -> dict[str, bool]:
    return {
        "licence": licences_ok,
        "email": bool(therapist.email) and not therapist.email_refused,
        "app": bool(therapist.app_enabled),
        "schedule": has_schedule,
    }


def readiness_items(therapist, *, has_schedule: bool, licences_ok: bool) -> list[ReadinessItem]:
    """The checklist in the spec's order: licences, e-mail, activation, then rule 1."""
    states = _states(therapist, has_schedule, licences_ok)
    return [ReadinessItem(key, states[key], translate(label), translate(problem)) for key, label, problem in ITEMS]


def readiness_problems(therapist, *, has_schedule: bool, licences_ok: bool) -> list[str]:
    """The unmet items as translated text, for the list's readiness mark."""
    states = _states(therapist, has_schedule, licences_ok)
    return [translate(problem) for key, _label, problem in ITEMS if not states[key]]


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
