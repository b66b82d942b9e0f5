"""The audit log in words: each action, each detail key and each stored value as a practice reads
it, ids as the names they stand for (``names``). The stored entries keep their keys (the CSV and
the filter use them); only what is shown is translated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..auth.models import Role
from ..bounces.models import Intake
from ..i18n import N_, date_filter, datetime_filter, translate
from ..schedule.models import CourseKind
from ..tenancy import LicenceKind
from .names import ID_KEYS

ACTIONS = {
    "appointment.added": N_("Termin zugeordnet"),
    "appointment.removed": N_("Termin entfernt"),
    "calendar.subscribed": N_("Kalender abonniert"),
    "calendar.uploaded": N_("Kalenderdatei übernommen"),
    "calendar.imported": N_("Kalender abgeglichen"),
    "calendar.removed": N_("Kalender entfernt"),
    "checkin.recorded": N_("Check-in erfasst"),
    "checkin.added_later": N_("Check-in nachgetragen"),
    "checkin.cancelled": N_("Check-in storniert"),
    "checkin.moved": N_("Check-in verschoben"),
    "checkin.offline_refused": N_("Offline-Check-in zu klären"),
    "checkin.offline_accepted": N_("Offline-Check-in übernommen"),
    "checkin.offline_discarded": N_("Offline-Check-in nicht gezählt"),
    "participant.updated": N_("Teilnehmer geändert"),
    "prescription.updated": N_("Verordnung geändert"),
    "checkin.retention": N_("Aufbewahrungsfrist angewendet"),
    "participant.exported": N_("Datenauskunft erteilt"),
    "participant.erased": N_("Teilnehmerdaten gelöscht"),
    "participant.restricted": N_("Verarbeitung eingeschränkt"),
    "participants.imported": N_("Teilnehmer importiert"),
    "job.requeued": N_("Auftrag erneut eingereiht"),
    "code.bounced": N_("Zustellung des Zugangscodes gescheitert"),
    "code.delivery_delayed": N_("Zustellung des Zugangscodes verzögert"),
    "code.failed": N_("Versand des Zugangscodes fehlgeschlagen"),
    "code.refused": N_("Adresse vom Mailserver abgelehnt"),
    "code.requested": N_("Zugangscode angefordert"),
    "code.requested_by_therapist": N_("Zugangscode vom Therapeuten angefordert"),
    "code.sent": N_("Zugangscode gesendet"),
    "code.used": N_("Zugangscode verwendet"),
    "course.assigned": N_("Kurs zugeordnet"),
    "course.created": N_("Kurs angelegt"),
    "course.unassigned": N_("Kurs abgegeben"),
    "course_member.added": N_("In Kursgruppe aufgenommen"),
    "device.session_ended": N_("Gerätesitzung beendet"),
    "device.signed_in": N_("Gerät angemeldet"),
    "device.signed_out": N_("Gerät abgemeldet"),
    "licence.updated": N_("Lizenz geändert"),
    "participant.created": N_("Teilnehmer angelegt"),
    "practice.created": N_("Praxis angelegt"),
    "practice.deleted": N_("Praxis gelöscht"),
    "practice.updated": N_("Praxis geändert"),
    "prescription.created": N_("Verordnung erfasst"),
    "script.started": N_("Script gestartet"),
    "terminal.paired": N_("Terminal gekoppelt"),
    "terminal.registered": N_("Terminal registriert"),
    "terminal.reopened": N_("Terminal wieder freigegeben"),
    "terminal.revoked": N_("Terminal gesperrt"),
    "therapist.app_activated": N_("App aktiviert"),
    "therapist.app_deactivated": N_("App deaktiviert"),
    "therapist.authorisation_withdrawn": N_("Berechtigung entzogen"),
    "therapist.created": N_("Therapeut angelegt"),
    "therapist.updated": N_("Therapeut geändert"),
    "group.created": N_("Praxisgruppe angelegt"),
    "group.second_factor_optional": N_("Zweiter Faktor wieder freiwillig"),
    "group.second_factor_required": N_("Zweiter Faktor für alle verlangt"),
    "second_factor.added": N_("Zweiter Faktor eingerichtet"),
    "second_factor.recovery_codes": N_("Neue Wiederherstellungscodes"),
    "second_factor.removed": N_("Zweiter Faktor entfernt"),
    "second_factor.reset": N_("Zweiter Faktor zurückgesetzt"),
    "user.invitation_resent": N_("Einladung erneut gesendet"),
    "user.invitation_withdrawn": N_("Einladung zurückgezogen"),
    "user.invited": N_("Benutzer eingeladen"),
    "user.joined": N_("Einladung angenommen"),
    "user.password_changed": N_("Passwort geändert"),
    "user.password_reset": N_("Passwort zurückgesetzt"),
    "user.sessions_ended": N_("Anmeldungen beendet"),
    "user.sign_in_failures": N_("Wiederholt falsches Passwort"),
    "user.renamed": N_("Name geändert"),
    "user.activated": N_("Benutzer aktiviert"),
    "user.created": N_("Benutzer angelegt"),
    "user.deactivated": N_("Benutzer deaktiviert"),
}

DETAILS = {
    "job_id": N_("Auftrag"), "function": N_("Funktion"),
    "format": N_("Format"), "attendances": N_("Teilnahmen"), "anonymised": N_("anonymisiert"),
    "deleted": N_("gelöscht"), "signatures": N_("Unterschriften entfernt"),
    "created": N_("neu angelegt"), "known": N_("schon vorhanden"), "faulty": N_("fehlerhaft"),
    "app_enabled": N_("App aktiv"), "course": N_("Kurs"),
    "course_id": N_("Kurs"), "day": N_("Tag"), "device": N_("Gerät"),
    "devices": N_("Geräte"), "diagnostic": N_("Antwort des Servers"), "email": N_("E-Mail"),
    "extra_reason": N_("Grund dritte Teilnahme"), "first_name": N_("Vorname"), "intake": N_("Eingang"),
    "key": N_("Kennung"), "kind": N_("Art"), "last_name": N_("Nachname"), "name": N_("Name"),
    "participant": N_("Teilnehmer"), "participant_id": N_("Teilnehmer"), "payer": N_("Kostenträger"),
    "platform": N_("Plattform"), "practice": N_("Praxis"), "practice_id": N_("Praxis"),
    "practices": N_("Praxen"), "reason": N_("Grund"), "result": N_("Ergebnis"), "role": N_("Rolle"),
    "script": N_("Script"), "smtp_response": N_("Antwort des Mailservers"), "springer": N_("Springer"),
    "springer_reason": N_("Grund Springer"), "status": N_("Status"), "terminal_id": N_("Terminal"),
    "title": N_("Bezeichnung"), "units": N_("Einheiten"), "valid_from": N_("gültig ab"),
    "valid_until": N_("gültig bis"), "voided_codes": N_("ungültig gemachte Codes"), "after": N_("neu"),
    "answer": N_("Antwort"), "before": N_("bisher"),
    "changes": N_("Änderungen"), "city": N_("Ort"), "message_id": N_("Message-ID"),
    "street": N_("Straße und Hausnummer"), "postcode": N_("PLZ"), "ik": N_("IK"),
    "prescription_id": N_("Verordnung"), "previous_therapist_id": N_("bisheriger Therapeut"),
    "session_id": N_("Kurstermin"), "change": N_("Änderung"),
    "sessions": N_("Anmeldungen"), "sessions_ended": N_("beendete Anmeldungen"), "failures": N_("Fehlversuche"),
    "licences": N_("Lizenzen"), "starts_at": N_("Beginn"), "user_id": N_("Benutzer"),
    "app_was_enabled": N_("App war aktiviert"), "codes_voided": N_("ungültig gemachte Codes"),
    "devices_revoked": N_("abgemeldete Geräte"), "from_session_id": N_("bisher in"),
    "to_session_id": N_("jetzt in"), "fields": N_("geänderte Angaben"), "note": N_("Notiz"),
    "until": N_("eingeschränkt bis"), "birth_date": N_("Geburtsdatum"), "chip_id": N_("Chip"),
    "units_approved": N_("Genehmigte Einheiten"), "valid_months": N_("Gültigkeit in Monaten"),
    "prescribed_on": N_("Verordnungsdatum"), "approved_on": N_("Genehmigungsdatum"),
    "approval_number": N_("Genehmigungsnummer"), "insurance_number": N_("Versichertennummer"),
    "late_reason": N_("Grund für den Nachtrag"),
    "calendar_id": N_("Kalender-Nr."), "calendar": N_("Kalender"), "added": N_("neu"), "changed": N_("geändert"),
    "removed": N_("entfernt"), "skipped": N_("übersprungen"), "appointments": N_("Termine"),
}
# Internal ids a person does not need: the entry says what they stood for in other words (the
# participant in "Betrifft", the check-in's course and day, the device's or terminal's name).
HIDDEN = {"attendance_id", "to_attendance_id", "offline_id", "invitation_id", "code_request_id", "run_id",
          "appointment_id", "device_id"}
# What "name" names, by the action's object
NAME_OF = {"device.": N_("Gerät"), "terminal.": N_("Terminal"), "course.": N_("Kurs"), "practice.": N_("Praxis"),
           "group.": N_("Praxisgruppe"), "therapist.": N_("Therapeut")}
GONE = N_("gelöscht")
SCRIPTS = {"generate_missing": N_("Fehlende Therapeuten-Datenbanken erzeugen")}
FORMATS = {"json": "JSON", "pdf": "PDF"}
ENUMS = (CourseKind, LicenceKind, Role, Intake)


@dataclass(frozen=True)
class Subject:
    """Whom or what an entry is about, when that is not a therapist (who has a column of their own)."""

    name: str
    participant_id: int | None = None


def action_label(action: str) -> str:
    """The action in words; an action without words yet shows its key."""
    return translate(ACTIONS[action]) if action in ACTIONS else action


def _key(key: str, action: str = "") -> str:
    if key == "name":
        for prefix, label in NAME_OF.items():
            if action.startswith(prefix):
                return translate(label)
    return translate(DETAILS[key]) if key in DETAILS else key


def _word(value: str) -> str:
    """A stored key in words: a course kind, licence, role, intake or script; else as it is."""
    for enum in ENUMS:
        try:
            return enum(value).label
        except ValueError:
            continue
    if value in SCRIPTS:
        return translate(SCRIPTS[value])
    return FORMATS.get(value, value)


def _day(value: str) -> str:
    """An ISO date or date-time as the portal writes it; anything else as it is."""
    try:
        return datetime_filter(datetime.fromisoformat(value)) if "T" in value else date_filter(
            date.fromisoformat(value))
    except ValueError:
        return value


def _value(value: Any, key: str = "") -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return translate(N_("ja")) if value else translate(N_("nein"))
    if isinstance(value, dict):  # changes: {field: [before, after]} or {field: new}
        return "; ".join(f"{_key(k)}: {_value(v[0], k)} → {_value(v[1], k)}" if isinstance(v, list) and len(v) == 2
                         else f"{_key(k)}: {_value(v, k)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        if key in ("before", "after") and len(value) == 2:  # a licence's period
            start, end = (_day(part) if part else "" for part in value)
            return f"{start} – {end}" if end else translate(N_("ab %(day)s"), day=start)
        if key == "fields":
            return ", ".join(_key(item) for item in value) or "–"
        return ", ".join(_value(item, key) for item in value) or "–"
    if isinstance(value, str):
        if key in ("day", "until", "valid_from", "valid_until", "starts_at", "prescribed_on", "approved_on"):
            return _day(value)
        if key in ("kind", "role", "licences", "intake", "script", "format"):
            return _word(value)
    return str(value)


def actor_name(entry, names) -> str:
    """Who did it, by their name as it is now (the stored label, an address or "Terminal Tresen",
    when no portal user or none with a name)."""
    return names.of("users", entry.actor_id) or entry.actor_label


def actor_role(entry) -> str | None:
    """The actor's role in words (None for jobs, terminals and the app)."""
    try:
        return Role(entry.actor_role).label if entry.actor_role else None
    except ValueError:
        return entry.actor_role


def subject(entry, names) -> Subject | None:
    """The participant or portal user the entry is about, by name (a therapist has their own column)."""
    details = entry.details or {}
    if "participant_id" in details:
        name = names.of("participants", details["participant_id"])
        return Subject(name or translate(N_("gelöschte Person")), details["participant_id"] if name else None)
    if "user_id" in details:
        return Subject(names.of("users", details["user_id"]) or details.get("email") or translate(GONE))
    return None


def details_text(entry, names) -> list[tuple[str, str]]:
    """The details as (label, value) pairs in words: ids as the names they stand for, what the
    other columns already say left out, empty values and a "no" Springer too."""
    details, action = entry.details or {}, entry.action
    shown = subject(entry, names)
    pairs = []
    for key, value in details.items():
        if value is None or value == "" or key in HIDDEN or key in ("participant_id", "user_id"):
            continue
        if key == "springer" and value is False:
            continue
        if key == "name" and entry.therapist_id and action.startswith("therapist."):
            continue  # the therapist column names them
        if key == "email" and shown is not None and shown.name == value:
            continue
        if key == "course" and "session_id" in details and names.of("sessions", details["session_id"]):
            continue  # the session says the course, with its day
        if key == "prescription_id" and "kind" in details:
            continue  # its kind is said
        if key in ID_KEYS:
            pairs.append((_key(key, action), names.of(ID_KEYS[key], value) or translate(GONE)))
            continue
        pairs.append((_key(key, action), _value(value, key)))
    return pairs
