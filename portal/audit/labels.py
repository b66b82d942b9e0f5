"""The audit log in words: each action and each detail key as a practice reads it. The stored
entries keep their keys (the CSV and the filter use them); only what is shown is translated."""

from __future__ import annotations

from typing import Any

from ..i18n import N_, translate

ACTIONS = {
    "appointment.added": N_("Termin zugeordnet"),
    "appointment.removed": N_("Termin entfernt"),
    "calendar.subscribed": N_("Kalender abonniert"),
    "calendar.uploaded": N_("Kalenderdatei übernommen"),
    "calendar.imported": N_("Kalender abgeglichen"),
    "calendar.removed": N_("Kalender entfernt"),
    "checkin.recorded": N_("Check-in erfasst"),
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
    "user.activated": N_("Benutzer aktiviert"),
    "user.created": N_("Benutzer angelegt"),
    "user.deactivated": N_("Benutzer deaktiviert"),
}

DETAILS = {
    "job_id": N_("Auftrag"), "function": N_("Funktion"),
    "format": N_("Format"), "attendances": N_("Teilnahmen"), "anonymised": N_("anonymisiert"),
    "deleted": N_("gelöscht"), "signatures": N_("Unterschriften entfernt"),
    "created": N_("neu angelegt"), "known": N_("schon vorhanden"), "faulty": N_("fehlerhaft"),
    "app_enabled": N_("App aktiv"), "code_request_id": N_("Code-Anfrage"), "course": N_("Kurs"),
    "course_id": N_("Kurs"), "day": N_("Tag"), "device": N_("Gerät"), "device_id": N_("Gerät"),
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
    "answer": N_("Antwort"), "appointment_id": N_("Termin"), "attendance_id": N_("Teilnahme"), "before": N_("bisher"),
    "changes": N_("Änderungen"), "city": N_("Ort"), "message_id": N_("Message-ID"),
    "street": N_("Straße und Hausnummer"), "postcode": N_("PLZ"), "ik": N_("IK"),
    "prescription_id": N_("Verordnung"), "previous_therapist_id": N_("bisheriger Therapeut"), "run_id": N_("Lauf"),
    "session_id": N_("Kurstermin"), "invitation_id": N_("Einladung"), "change": N_("Änderung"),
    "sessions": N_("Anmeldungen"), "sessions_ended": N_("beendete Anmeldungen"), "failures": N_("Fehlversuche"),
    "licences": N_("Lizenzen"), "starts_at": N_("Beginn"), "user_id": N_("Benutzer"),
    "calendar_id": N_("Kalender-Nr."), "calendar": N_("Kalender"), "added": N_("neu"), "changed": N_("geändert"),
    "removed": N_("entfernt"), "skipped": N_("übersprungen"), "appointments": N_("Termine"),
}


def action_label(action: str) -> str:
    """The action in words; an action without words yet shows its key."""
    return translate(ACTIONS[action]) if action in ACTIONS else action


def _key(key: str) -> str:
    return translate(DETAILS[key]) if key in DETAILS else key


def _value(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return translate(N_("ja")) if value else translate(N_("nein"))
    if isinstance(value, dict):  # changes: {field: [before, after]}
        return "; ".join(f"{_key(k)}: {_value(v[0])} → {_value(v[1])}" if isinstance(v, list) and len(v) == 2
                         else f"{_key(k)}: {_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value(item) for item in value) or "–"
    return str(value)


def details_text(details: dict[str, Any]) -> list[tuple[str, str]]:
    """The details as (label, value) pairs; empty values are left out."""
    return [(_key(key), _value(value)) for key, value in details.items() if value is not None and value != ""]
