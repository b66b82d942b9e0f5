"""German texts for code statuses and deliveries (the templates call these)."""

from __future__ import annotations

from flask_babel import format_datetime

from ..i18n import N_, datetime_filter, translate
from .models import Delivery
from .services import CodeStatus

DELIVERY_LABELS = {
    Delivery.PENDING: N_("wartet auf den Versanddienst"),
    Delivery.QUEUED: N_("in der Warteschlange"),
    Delivery.SENDING: N_("wird gesendet"),
    Delivery.RETRYING: N_("neuer Versuch geplant"),
    Delivery.ACCEPTED: N_("angenommen"),
    Delivery.REFUSED: N_("abgelehnt"),
    Delivery.FAILED: N_("fehlgeschlagen"),
    Delivery.CANCELLED: N_("vor dem Versand ersetzt"),
}


def _time(value) -> str:
    return format_datetime(value, "HH:mm")


def status_label(status: CodeStatus) -> str:
    """The spec's code status in words, e.g. "gesendet, gültig bis 14:47"."""
    request = status.request
    if status.key == "none":
        return translate(N_("noch kein Code"))
    if status.key == "sending":
        return translate(N_("wird gesendet"))
    if status.key == "retrying":
        return translate(N_("Versand fehlgeschlagen – neuer Versuch um %(time)s"), time=_time(request.next_attempt_at))
    if status.key == "valid":
        return translate(N_("gesendet, gültig bis %(time)s"), time=_time(request.expires_at))
    if status.key == "expired":
        return translate(N_("abgelaufen"))
    if status.key == "used":
        return translate(N_("verwendet am %(when)s (%(device)s)"), when=datetime_filter(request.used_at),
                         device=request.used_by or translate(N_("unbekanntes Gerät")))
    if status.key == "superseded":
        return translate(N_("ersetzt"))
    if status.key == "locked":
        return translate(N_("gesperrt (zu viele Fehlversuche)"))
    if status.key == "refused":
        return translate(N_("Adresse abgelehnt: %(answer)s"), answer=request.smtp_response or "")
    return translate(N_("Versand fehlgeschlagen: %(answer)s"), answer=request.smtp_response or "")


def last_sent_label(status: CodeStatus) -> str:
    """The arrow's hover text."""
    if status.last_sent_at is None:
        return translate(N_("Noch kein Zugangscode gesendet"))
    return translate(N_("Zuletzt gesendet am %(day)s um %(time)s Uhr"),
                     day=format_datetime(status.last_sent_at, "dd.MM.yyyy"), time=_time(status.last_sent_at))


def delivery_label(request) -> str:
    if request.delivery == Delivery.RETRYING and request.next_attempt_at:
        return translate(N_("neuer Versuch um %(time)s"), time=_time(request.next_attempt_at))
    return translate(DELIVERY_LABELS.get(request.delivery, request.delivery))


STATUS_TONE = {"valid": "ok", "used": "ok", "sending": "info", "retrying": "warn", "refused": "warn",
               "failed": "warn", "locked": "warn", "expired": "off", "superseded": "off", "none": "off"}


DELIVERY_TONE = {Delivery.ACCEPTED: "ok", Delivery.REFUSED: "warn", Delivery.FAILED: "warn",
                 Delivery.RETRYING: "warn", Delivery.CANCELLED: "off"}


def status_tone(status: CodeStatus) -> str:
    return STATUS_TONE.get(status.key, "off")


def delivery_tone(request) -> str:
    return DELIVERY_TONE.get(request.delivery, "info")
