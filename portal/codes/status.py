"""A therapist's code status as the portal shows it: the spec's states, worded, coloured, linked
to their help, and when the widget should look again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask_babel import format_datetime
from sqlalchemy import bindparam, func, select, type_coerce

from ..extensions import db
from ..help.links import help_page_url
from ..i18n import N_, LabelledEnum, clock_time, datetime_filter, translate
from ..outbox.delivery import Delivery
from ..timeutil import UTCDateTime, utcnow
from .models import CodeRequest

_ARRIVAL = "code-kommt-nicht-an"
BOUNCE_WATCH_SECONDS = 30


class StatusKey(LabelledEnum):
    """The status, its words (with placeholders), its tone and the help section explaining it."""

    NONE = "none", N_("noch kein Code"), "off", None
    SENDING = "sending", N_("wird gesendet"), "info", (_ARRIVAL, "warten")
    RETRYING = "retrying", N_("Versand fehlgeschlagen – neuer Versuch um %(time)s"), "warn", (_ARRIVAL, "warten")
    VALID = "valid", N_("gesendet, gültig bis %(time)s"), "ok", None
    EXPIRED = "expired", N_("abgelaufen"), "off", (_ARRIVAL, "status")
    USED = "used", N_("verwendet am %(when)s (%(device)s)"), "ok", ("neues-geraet", None)
    VOIDED = "voided", N_("nicht mehr gültig (App deaktiviert)"), "off", ("deaktiviert-nutzt-weiter", None)
    LOCKED = ("locked", N_("gesperrt nach %(n)s falschen Eingaben – neuen Code senden; der Therapeut kann in der App "
                           "auch selbst einen neuen Code anfordern"), "warn", (_ARRIVAL, "status"))
    REFUSED = "refused", N_("Adresse abgelehnt: %(answer)s"), "warn", (_ARRIVAL, "schreibweise")
    BOUNCED = "bounced", N_("Zustellung gescheitert: %(answer)s"), "warn", (_ARRIVAL, "zustellbericht")
    DELAYED = ("delayed", N_("Zustellung verzögert, gültig bis %(time)s: %(answer)s"), "warn",
               (_ARRIVAL, "zustellbericht"))
    FAILED = "failed", N_("Versand fehlgeschlagen: %(answer)s"), "warn", (_ARRIVAL, "warten")

    def __init__(self, value: str, label: str, tone: str, help_section: tuple[str, str | None] | None) -> None:
        self.tone = tone
        self.help_section = help_section


@dataclass(frozen=True)
class CodeStatus:
    """The status of a therapist's latest request, with when to look again."""

    key: StatusKey
    request: CodeRequest | None
    last_sent_at: datetime | None
    poll_after: int | None  # seconds until the shown status may change by itself; None: final

    @property
    def final(self) -> bool:
        return self.poll_after is None

    @property
    def tone(self) -> str:
        return self.key.tone

    @property
    def label(self) -> str:
        """The spec's code status in words, e.g. "gesendet, gültig bis 14:47"."""
        request = self.request
        values = {}
        if self.key == StatusKey.RETRYING:
            values["time"] = clock_time(request.next_attempt_at)
        elif self.key == StatusKey.VALID:
            values["time"] = clock_time(request.expires_at)
        elif self.key == StatusKey.USED:
            values = {"when": datetime_filter(request.used_at),
                      "device": request.used_by or translate(N_("unbekanntes Gerät"))}
        elif self.key in (StatusKey.REFUSED, StatusKey.FAILED):
            values["answer"] = request.smtp_response or ""
        elif self.key == StatusKey.BOUNCED:
            values["answer"] = request.bounce_reason or ""
        elif self.key == StatusKey.LOCKED:
            values["n"] = request.failed_attempts
        elif self.key == StatusKey.DELAYED:
            values = {"time": clock_time(request.expires_at), "answer": request.bounce_reason or ""}
        return translate(self.key._label, **values)

    @property
    def help_url(self) -> str | None:
        return help_page_url(*self.key.help_section) if self.key.help_section else None

    @property
    def last_sent_label(self) -> str:
        """The arrow's hover text."""
        if self.last_sent_at is None:
            return translate(N_("Noch kein Zugangscode gesendet"))
        sent = translate(N_("Zuletzt gesendet am %(day)s um %(time)s Uhr"),
                         day=format_datetime(self.last_sent_at, "dd.MM.yyyy"), time=clock_time(self.last_sent_at))
        request = self.request
        if request is not None and request.by_therapist and request.accepted_at == self.last_sent_at:
            return translate(N_("%(sent)s (vom Therapeuten angefordert)"), sent=sent)
        return sent




def status_of(request: CodeRequest | None, last_sent_at: datetime | None, now: datetime | None = None) -> CodeStatus:
    """Derive the displayed status of a therapist's latest request."""
    now = now or utcnow()
    if request is None:
        return CodeStatus(StatusKey.NONE, None, last_sent_at, None)
    if request.used_at is not None:
        key, poll = StatusKey.USED, None
    elif request.superseded_at is not None:
        # the latest request, so no newer code replaced it: deactivating or withdrawing the app voided it
        key, poll = StatusKey.VOIDED, None
    elif request.locked_at is not None:
        key, poll = StatusKey.LOCKED, None
    elif request.usable(now):
        # a delivery report may still come back: look again every half minute until the code expires
        key = StatusKey.DELAYED if request.delayed_at is not None else StatusKey.VALID
        poll = max(1, min(BOUNCE_WATCH_SECONDS, int((request.expires_at - now).total_seconds()) + 1))
    elif request.delivery_in_flight:
        key, poll = (StatusKey.RETRYING, 10) if request.delivery == Delivery.RETRYING else (StatusKey.SENDING, 1)
    elif request.delivery == Delivery.REFUSED:
        key, poll = StatusKey.REFUSED, None
    elif request.delivery == Delivery.BOUNCED:
        key, poll = StatusKey.BOUNCED, None
    elif request.delivery in (Delivery.FAILED, Delivery.CANCELLED):
        key, poll = StatusKey.FAILED, None
    else:
        key, poll = StatusKey.EXPIRED, None
    return CodeStatus(key, request, last_sent_at, poll)


@cache
def _latest_requests():
    """Each therapist's (``:ids``) latest request with the time of the last accepted send; built once."""
    latest = (
        select(CodeRequest.therapist_id, func.max(CodeRequest.id).label("latest_id"),
               type_coerce(func.max(CodeRequest.accepted_at), UTCDateTime).label("last_sent_at"))
        .where(CodeRequest.therapist_id.in_(bindparam("ids", expanding=True)))
        .group_by(CodeRequest.therapist_id)
        .subquery()
    )
    return select(CodeRequest, latest.c.last_sent_at).join(latest, CodeRequest.id == latest.c.latest_id)


def statuses_for(therapist_ids: list[int]) -> dict[int, CodeStatus]:
    """Latest request and last accepted send of each therapist, in one query."""
    if not therapist_ids:
        return {}
    rows = db.session.execute(_latest_requests(), {"ids": therapist_ids}).all()
    now = utcnow()
    found = {request.therapist_id: status_of(request, last_sent, now) for request, last_sent in rows}
    return {tid: found.get(tid) or status_of(None, None, now) for tid in therapist_ids}


def status_for(therapist_id: int) -> CodeStatus:
    return statuses_for([therapist_id])[therapist_id]
