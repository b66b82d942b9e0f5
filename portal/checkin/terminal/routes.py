"""The check-in terminal at the counter: paired by code or QR, no portal sign-in."""

from __future__ import annotations

import hashlib
from functools import cache, wraps
from pathlib import Path

from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer

from ... import limits, url_secrets
from ...auth.permissions import get_or_404
from ...extensions import csrf, db, limiter
from ...schedule.models import Course
from ...security import CSP
from ...timeutil import today_berlin, utcnow
from .. import offline
from ..forms import IdentifyForm, PairForm, TerminalCheckInForm
from ..models import Participant
from ..services import (
    CheckInRefused,
    check_in,
    courses_on,
    decode_signature,
    find_participant,
    preview,
    remaining_units,
)
from . import pairing

bp = Blueprint("terminal", __name__, url_prefix="/terminal")
TICKET_SECONDS = 10 * 60  # from identification to the signature
TERMINAL_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")


def paired(view=None, *, json: bool = False, locked_too: bool = False):
    """The terminal of the cookie, as ``g.terminal``. Without one: the pairing page, or for the
    tablet's background calls (``json``) a JSON refusal it understands; a locked terminal is
    refused at once (as JSON it clears what it keeps). ``locked_too`` lets a locked terminal in;
    the view decides what it may still do."""
    if view is None:
        return lambda inner: paired(inner, json=json, locked_too=locked_too)

    @wraps(view)
    def wrapped(*args, **kwargs):
        terminal = pairing.current_terminal()
        if terminal is None:
            return (jsonify(error="unpaired"), 401) if json else redirect(url_for(".pair"))
        if terminal.locked and not locked_too:
            if json:
                return jsonify(error="locked"), 403
            return render_template("checkin/terminal/revoked.html", terminal=terminal), 403
        g.terminal = terminal
        return view(*args, **kwargs)

    return wrapped


@bp.after_request
def _allow_webassembly(response):
    """The terminal's pages run Argon2id as WebAssembly (offline identification): its CSP allows
    compiling WebAssembly, and nothing else beyond the portal's."""
    response.headers["Content-Security-Policy"] = TERMINAL_CSP
    return response


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


def _todays_course(course_id) -> Course:
    """A course of the terminal's group that meets today, or 404."""
    return get_or_404(Course, course_id, group_id=g.terminal.group_id, weekday=today_berlin().weekday())


_tablet = limits.cookie_holder(pairing.COOKIE, "tablet")  # whom a rate limit counts: the paired tablet


@bp.route("/koppeln", methods=["GET", "POST"])
@limiter.limit(limits.setting("TERMINAL_PAIRING_LIMIT"), methods=["POST"], deduct_when=limits.refused)
def pair():
    if "code" in request.args:  # the QR code's address: the code moves into the session at once
        return url_secrets.take("pairing-code", request.args["code"][:20], ".pair")
    form = PairForm(code=url_secrets.pop("pairing-code"))
    error = None
    if form.validate_on_submit():
        result = pairing.pair(form.code.data)
        if result is not None:
            db.session.commit()
            response = redirect(url_for(".index"))
            response.set_cookie(pairing.COOKIE, result[1], max_age=5 * 365 * 24 * 3600, httponly=True,
                                samesite="Strict", secure=current_app.config["SESSION_COOKIE_SECURE"],
                                path="/terminal")
            return response
        error = _("Dieser Kopplungscode ist ungültig oder abgelaufen. Bitte lassen Sie im Portal einen neuen "
                  "erzeugen.")
    return render_template("checkin/terminal/pair.html", form=form, error=error), 200 if error is None else 422


@bp.get("")
@paired
def index():
    return render_template("checkin/terminal/index.html", courses=courses_on(g.terminal.group_id, today_berlin()))


@bp.route("/kurs/<int:course_id>", methods=["GET", "POST"])
@limiter.limit(limits.setting("TERMINAL_LOOKUP_LIMIT"), methods=["POST"], key_func=_tablet)
@limiter.limit(limits.setting("TERMINAL_MISS_LIMIT"), methods=["POST"], key_func=_tablet,
               deduct_when=limits.refused)
@paired
def identify(course_id: int):
    """Step 1: the participant identifies by chip or by last name and date of birth."""
    course = _todays_course(course_id)
    form = IdentifyForm()
    error = None
    if form.validate_on_submit():
        participant = find_participant(g.terminal.group_id, chip=form.chip.data, last_name=form.last_name.data,
                                       birth_date=form.birth_date.data)
        if participant is not None:
            return _sign_page(course, participant)
        error = _("Niemand gefunden. Bitte Chip erneut auflegen oder Nachname und Geburtsdatum prüfen.")
    return render_template("checkin/terminal/identify.html", course=course, form=form, error=error), \
        422 if error else 200


def _tickets() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="terminal-check-in")


def _ticket(course: Course, participant: Participant) -> str:
    """Who step 1 identified, for step 2: this tablet, this course, this person, now; signed."""
    return _tickets().dumps([g.terminal.id, course.id, participant.id, int(utcnow().timestamp())])


def _ticketed(course: Course, ticket: str) -> Participant | None:
    """The person a genuine, fresh ticket of this tablet and course names; None otherwise."""
    try:
        terminal_id, course_id, participant_id, issued = _tickets().loads(ticket or "")
        age = utcnow().timestamp() - issued
    except (BadData, ValueError, TypeError):
        return None
    if terminal_id != g.terminal.id or course_id != course.id or not 0 <= age <= TICKET_SECONDS:
        return None
    participant = db.session.get(Participant, participant_id)
    return participant if participant is not None and participant.group_id == g.terminal.group_id else None


def _sign_page(course: Course, participant: Participant, form=None, error=None, status=200):
    refusal = preview(participant, course, today_berlin())
    if refusal is not None and refusal.need is None:  # a final refusal: nothing to sign
        return render_template("checkin/terminal/result.html", course=course, participant=participant,
                               error=refusal.message), 422
    form = form or TerminalCheckInForm(formdata=None)
    form.ticket.data = _ticket(course, participant)
    form.signature.data = ""  # a refused attempt's signature is never sent again unseen
    return render_template("checkin/terminal/sign.html", course=course, participant=participant, form=form,
                           need=refusal.need if refusal else None, hint=refusal.message if refusal else None,
                           error=error), status


@bp.post("/kurs/<int:course_id>/einchecken")
@paired
def sign(course_id: int):
    """Step 2: the signature; the one check-in service decides."""
    course = _todays_course(course_id)
    form = TerminalCheckInForm()
    participant = _ticketed(course, form.ticket.data)
    if participant is None:
        return render_template("checkin/terminal/identify.html", course=course, form=IdentifyForm(formdata=None),
                               error=_("Die Anmeldung ist abgelaufen. Bitte Chip erneut auflegen oder Nachname "
                                       "und Geburtsdatum eingeben.")), 422
    if not form.validate():
        return _sign_page(course, participant, form, _("Bitte prüfen Sie die Angaben."), 422)
    try:
        png = decode_signature(form.signature.data or "")
        result = check_in(participant, course, today_berlin(), png, springer_reason=form.springer_reason.data,
                          extra_reason=form.extra_reason.data, terminal=g.terminal)
    except CheckInRefused as refused:
        db.session.rollback()
        return _sign_page(course, participant, form, refused.message, 422)
    db.session.commit()
    return render_template("checkin/terminal/result.html", course=course, participant=participant, result=result,
                           remaining=remaining_units(result.attendance.prescription))


# --- the installable, offline-capable terminal --------------------------------------------------------

# What the service worker keeps for a reload without a connection: the offline page and its assets.
OFFLINE_ASSETS = ("vendor/pico-2.1.1.min.css", "app.css", "vendor/signature_pad-5.1.4.umd.min.js", "terminal.js",
                  "vendor/hash-wasm-argon2-4.13.0.umd.min.js", "terminal-offline.js",
                  *(f"terminal/{module}.js" for module in ("fold", "identity", "page", "store", "sync", "screens",
                                                           "offline")),
                  "icons/terminal-192.png")


@cache
def _assets_version(static_folder: str) -> str:
    """Changes with any cached asset, so a new release installs a new service worker."""
    digest = hashlib.sha256()
    for name in OFFLINE_ASSETS:
        digest.update((Path(static_folder) / name).read_bytes())
    for name in ("_document.html", *(f"checkin/terminal/{page}.html" for page in (  # the offline page
            "base", "offline", "_offline_screens", "_screens"))):
        digest.update((Path(current_app.root_path) / "templates" / name).read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/manifest.webmanifest")
def manifest():
    """Makes the terminal an installable web app (full screen, German, the check-in icon)."""
    body = {
        "name": _("Check-in-Terminal"), "short_name": _("Check-in"), "lang": "de",
        "start_url": url_for(".index"), "scope": url_for(".index"), "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#1d5fa8",
        "icons": [{"src": url_for("static", filename=f"icons/terminal-{size}.png"), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any"} for size in (192, 512)],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, for the whole terminal (``/terminal``), versioned by its assets."""
    script = render_template("checkin/terminal/sw.js", version=_assets_version(current_app.static_folder),
                             assets=[url_for("static", filename=name) for name in OFFLINE_ASSETS],
                             shell=url_for(".offline_page"), scope=url_for(".index"))
    return Response(script, mimetype="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": url_for(".index")})


@bp.get("/offline")
def offline_page():
    """The page the tablet shows without a connection; it holds no data, the tablet fills it from
    what it keeps for today."""
    return render_template("checkin/terminal/offline.html")


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
@limiter.limit(limits.setting("TERMINAL_REPLAY_LIMIT"), key_func=_tablet)
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
