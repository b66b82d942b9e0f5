"""What a failed fetch, a refused address and a skipped event say, in the reader's language. The
database keeps codes and their particulars; the words are chosen when shown."""

from __future__ import annotations

from ..i18n import N_, translate

ERRORS = {
    "address_invalid": N_("Das ist keine gültige Kalenderadresse."),
    "address_unreadable": N_("Die gespeicherte Adresse lässt sich nicht mehr lesen (der Schlüssel des Portals wurde "
                             "geändert)."),
    "scheme": N_("Die Adresse leitet auf etwas anderes als eine Webadresse (http/https) weiter."),
    "private_address": N_("„%(host)s“ liegt in einem internen Netz; solche Adressen ruft das Portal nicht ab."),
    "dns": N_("Den Server „%(host)s“ gibt es nicht (DNS)."),
    "unreachable": N_("Der Server „%(host)s“ ist nicht erreichbar."),
    "tls": N_("Die verschlüsselte Verbindung zu „%(host)s“ ist gescheitert (Zertifikat ungültig)."),
    "timeout": N_("Der Server hat nicht rechtzeitig geantwortet (nach 20 Sekunden abgebrochen)."),
    "bad_response": N_("Der Server „%(host)s“ hat die Verbindung abgebrochen."),
    "http_status": N_("Der Server antwortet mit HTTP-Status %(status)s."),
    "too_large": N_("Der Kalender ist größer als 5 MB."),
    "too_many_redirects": N_("Die Adresse leitet zu oft weiter (mehr als 3-mal)."),
    "not_calendar": N_("Unter der Adresse steht kein Kalender im iCalendar-Format (.ics), vielleicht eine "
                       "Anmeldeseite."),
}
_FAILED = N_("Der Abruf ist gescheitert.")
_TEMPORARY = N_("Meist eine vorübergehende Störung beim Anbieter: Das Portal versucht es alle 15 Minuten wieder. "
                "Hält sie an, prüfen Sie die Adresse.")
_CHECK_ADDRESS = N_("Prüfen Sie die Adresse in Ihrem Kalenderprogramm, entfernen Sie dieses Abo und tragen Sie die "
                    "aktuelle Adresse neu ein.")
_RE_ENTER = N_("Entfernen Sie dieses Abo und tragen Sie die Adresse neu ein.")
FIXES = {"unreachable": _TEMPORARY, "timeout": _TEMPORARY, "bad_response": _TEMPORARY,
         "address_unreadable": _RE_ENTER, "private_address": _RE_ENTER}
HTTP_HINTS = {
    401: N_("Kein Zugriff: Die Adresse ist nicht mehr gültig oder wurde zurückgesetzt."),
    403: N_("Kein Zugriff: Die Adresse ist nicht mehr gültig oder wurde zurückgesetzt."),
    404: N_("Nicht gefunden: Der Kalender wurde gelöscht oder wird nicht mehr freigegeben."),
    410: N_("Nicht gefunden: Der Kalender wurde gelöscht oder wird nicht mehr freigegeben."),
}

SKIP_REASONS = {
    "no_start": N_("ohne Beginn (DTSTART)"),
    "bad_rule": N_("Wiederholungsregel nicht lesbar (RRULE)"),
    "end_before_start": N_("endet vor seinem Beginn"),
    "bad_value": N_("ungültige Datums- oder Zeitangabe"),
    "duplicate": N_("doppelt (gleiche UID und Wiederholung)"),
    "broken": N_("nicht lesbar"),
}

ADDRESS_ERRORS = {
    "address_invalid": N_("Bitte geben Sie die vollständige Kalenderadresse ein, beginnend mit https:// "
                          "(z. B. https://calendar.google.com/calendar/ical/…/basic.ics)."),
    "address_not_https": N_("Bitte geben Sie die Adresse mit https:// an: Mit http:// ginge die geheime Adresse "
                            "unverschlüsselt durchs Netz."),
    "address_private": N_("Adressen im internen Netz (z. B. 192.168.…) ruft das Portal nicht ab."),
}


def error_text(error: dict | None) -> str:
    """The German (or English) sentence for a stored fetch error."""
    if not error:
        return ""
    params = {key: value for key, value in error.items() if key != "code"}
    text = translate(ERRORS.get(error.get("code", ""), _FAILED), **params)
    hint = HTTP_HINTS.get(error.get("status")) if error.get("code") == "http_status" else None
    return f"{text} {translate(hint)}" if hint else text


def error_fix(error: dict | None) -> str:
    """What the practice does about it."""
    if not error:
        return ""
    if error.get("code") == "http_status" and int(error.get("status") or 0) >= 500:
        return translate(_TEMPORARY)
    return translate(FIXES.get(error.get("code", ""), _CHECK_ADDRESS))


def skip_reason(code: str) -> str:
    return translate(SKIP_REASONS.get(code, SKIP_REASONS["broken"]))


def address_error(code: str) -> str:
    return translate(ADDRESS_ERRORS.get(code, ADDRESS_ERRORS["address_invalid"]))
