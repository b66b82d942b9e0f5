"""Which of the spec's app prerequisites a therapist meets (rules 1 and 2a–2c)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class ReadinessItem:
    key: str
    ok: bool
    label: str
    problem: str


def readiness_items(therapist, *, has_schedule: bool, licences_ok: bool) -> list[ReadinessItem]:
    """The checklist in the spec's order: licences, e-mail, activation, then rule 1."""
    return [
        ReadinessItem(
            "licence", licences_ok,
            _l("Praxisgruppe hat Sync- und App-Lizenz"),
            _l("Sync- oder App-Lizenz der Praxisgruppe fehlt"),
        ),
        ReadinessItem(
            "email", bool(therapist.email),
            _l("Gültige E-Mail-Adresse hinterlegt"),
            _l("Keine E-Mail-Adresse hinterlegt"),
        ),
        ReadinessItem(
            "app", bool(therapist.app_enabled),
            _l("App aktiviert"),
            _l("App nicht aktiviert"),
        ),
        ReadinessItem(
            "schedule", has_schedule,
            _l("Mindestens ein Termin oder Kurs zugeordnet"),
            _l("Kein Termin und kein Kurs zugeordnet"),
        ),
    ]
