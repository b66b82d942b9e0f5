"""What the tablet keeps to work without a connection, and what it hands back: the offline screens'
form and words in every paired page, today's data (``heute.json``), and the check-ins it queued."""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from .... import limits
from ....extensions import csrf, db, limiter
from ....timeutil import today_berlin, utcnow
from ... import offline
from ...forms import IdentifyForm
from .blueprint import bp, paired, tablet


@bp.context_processor
def _identification():
    """The pairing's identification key, for the paired tablet's own pages only (offline.identification_key)."""
    terminal = g.get("terminal")
    usable = terminal is not None and not terminal.locked and terminal.token_hash is not None
    return {"identify_key": offline.identification_key(terminal).hex() if usable else None}


@bp.context_processor
def _offline_screens():
    """What the offline screens (_offline_screens.html, in every paired terminal page) are rendered
    from: an empty identification form and the words only the offline terminal says."""
    return {"offline_identify_form": lambda: IdentifyForm(formdata=None, meta={"csrf": False}),
            "offline_words": _offline_words}


def _offline_words() -> dict[str, str]:
    """The words of the offline terminal (terminal-offline.js), in the tablet's language: the offline
    screens of every terminal page are rendered with them, and the messages come with the day's data."""
    return {
        "offline_title": _("Check-in ohne Verbindung"),
        "offline_notice": _("Keine Verbindung zum Portal. Check-ins werden auf diesem Tablet gespeichert und "
                            "übertragen, sobald die Verbindung zurück ist."),
        "no_courses": _("Heute finden keine Kurse statt."),
        "by_chip": _("Mit Chip"), "chip": _("Chip"),
        "by_name": _("Mit Name und Geburtsdatum"), "last_name": _("Nachname"), "birth_date": _("Geburtsdatum"),
        "next": _("Weiter"), "searching": _("Einen Moment …"),
        "not_found": _("Niemand gefunden. Bitte Chip erneut auflegen oder Nachname und Geburtsdatum prüfen."),
        "already": _("%(name)s ist für diesen Termin bereits eingecheckt.", name="{name}"),
        "hello": _("Hallo %(name)s", name="{name}"), "sign_here": _("Bitte hier unterschreiben"),
        "clear": _("Löschen"), "check_in": _("Einchecken"),
        "sign_first": _("Bitte unterschreiben Sie auf dem Bildschirm."),
        "saved_title": _("Danke, %(name)s!", name="{name}"),
        "saved": _("Ihr Check-in ist auf diesem Tablet gespeichert und wird übertragen, sobald die Verbindung zurück "
                   "ist. Die Praxis prüft ihn dann."),
        "next_person": _("Nächste Person"), "time": _("%(time)s Uhr", time="{time}"),
        "overview": _("Andere Kurse von heute"),
        "waiting_one": _("1 Check-in wartet auf die Übertragung."),
        "waiting_many": _("%(n)s Check-ins warten auf die Übertragung.", n="{n}"),
        "sent": _("Alle gespeicherten Check-ins sind übertragen."),
        "no_storage": _("Dieses Tablet kann ohne Verbindung nichts speichern. Bitte warten Sie, bis die Verbindung "
                        "zurück ist."),
    }


@bp.get("/heute.json")
@paired(json=True)
def day_snapshot():
    """Today's courses and what identification needs, for the tablet to keep until tomorrow."""
    response = jsonify(offline.snapshot(g.terminal, today_berlin(), utcnow()) | {"texts": _offline_words()})
    response.headers["Cache-Control"] = "no-store"
    return response


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin.rstrip("/") == request.host_url.rstrip("/")


@bp.post("/nachtrag")
@limiter.limit(limits.setting("TERMINAL_REPLAY_LIMIT"), key_func=tablet)
@csrf.exempt  # JSON only, from this origin, with the tablet's SameSite=Strict cookie; tokens would expire offline
@paired(json=True, locked_too=True)
def replay():
    """One check-in the tablet queued without a connection: applied once per id; a replay changes
    nothing and gets the first answer again. A locked terminal hands over nothing at all (who holds
    the tablet after a lock could sign anything): each attempt is refused and counted for the practice."""
    if not request.is_json or not _same_origin():
        return jsonify(error="bad_request", message=_("Check-ins nimmt das Portal nur vom Terminal selbst an.")), 400
    if g.terminal.locked:
        offline.refuse_after_lock(g.terminal)
        db.session.commit()
        message = _("Dieses Terminal ist gesperrt und übergibt keine Check-ins mehr.")
        return jsonify(error="locked", message=message), 403
    try:
        queued = offline.Queued.parse(request.get_json(silent=True))
        result = offline.replay(g.terminal, queued)
    except offline.BadReplay as bad:
        db.session.rollback()
        return jsonify(error="bad_request", message=bad.message), 400
    db.session.commit()
    return jsonify(id=queued.client_id, status=result.row.status.value, known=result.known)
