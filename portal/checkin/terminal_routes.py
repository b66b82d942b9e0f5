"""The check-in terminal at the counter: paired by code or QR, no portal sign-in."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..extensions import db
from ..timeutil import today_berlin
from . import terminals
from .forms import CheckInForm, IdentifyForm, PairForm
from .models import CourseSession, Participant
from .services import CheckInRefused, check_in, decode_signature, find_participant, remaining_units, todays_sessions

bp = Blueprint("terminal", __name__, url_prefix="/terminal")
DRY_RUN_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def paired(view):
    """The terminal of the cookie, or the pairing page; a revoked terminal is refused at once."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        terminal = terminals.current_terminal()
        if terminal is None:
            return redirect(url_for(".pair"))
        if terminal.revoked_at is not None:
            return render_template("checkin/terminal_revoked.html", terminal=terminal), 403
        g.terminal = terminal
        return view(*args, **kwargs)

    return wrapped


def _session_or_404(session_id: int) -> CourseSession:
    session = db.session.get(CourseSession, session_id)
    if session is None or session.group_id != g.terminal.group_id or session.day != today_berlin():
        abort(404)
    return session


@bp.route("/koppeln", methods=["GET", "POST"])
def pair():
    form = PairForm(code=request.args.get("code", ""))
    error = None
    if form.validate_on_submit():
        result = terminals.pair(form.code.data)
        if result is not None:
            db.session.commit()
            response = redirect(url_for(".index"))
            response.set_cookie(terminals.COOKIE, result[1], max_age=5 * 365 * 24 * 3600, httponly=True,
                                samesite="Strict", secure=current_app.config["SESSION_COOKIE_SECURE"],
                                path="/terminal")
            return response
        error = _("Dieser Kopplungscode ist ungültig oder abgelaufen. Bitte lassen Sie im Portal einen neuen "
                  "erzeugen.")
    return render_template("checkin/terminal_pair.html", form=form, error=error), 200 if error is None else 422


@bp.get("")
@paired
def index():
    sessions = todays_sessions(g.terminal.group_id)
    db.session.commit()
    return render_template("checkin/terminal_index.html", sessions=sessions)


@bp.route("/termin/<int:session_id>", methods=["GET", "POST"])
@paired
def identify(session_id: int):
    """Step 1: the participant identifies by chip or by last name and date of birth."""
    session = _session_or_404(session_id)
    form = IdentifyForm()
    error = None
    if form.validate_on_submit():
        participant = find_participant(g.terminal.group_id, chip=form.chip.data, last_name=form.last_name.data,
                                       birth_date=form.birth_date.data)
        if participant is not None:
            return _sign_page(session, participant)
        error = _("Niemand gefunden. Bitte Chip erneut auflegen oder Nachname und Geburtsdatum prüfen.")
    return render_template("checkin/terminal_identify.html", session=session, form=form, error=error)


def _try(session, participant, **reasons) -> CheckInRefused | None:
    nested = db.session.begin_nested()
    try:
        check_in(participant, session, DRY_RUN_SIGNATURE, **reasons)
        return None
    except CheckInRefused as refused:
        return refused
    finally:
        nested.rollback()


def _dry_run(session, participant) -> CheckInRefused | None:
    """Evaluate every rule but the signature without recording anything: first with reasons given
    (a refusal then is final), then without (a refusal then names the reason to ask for)."""
    return _try(session, participant, springer_reason="?", extra_reason="?") or _try(session, participant)


def _sign_page(session, participant, form=None, error=None, status=200):
    refusal = _dry_run(session, participant)
    if refusal is not None and refusal.need is None:  # a final refusal: nothing to sign
        return render_template("checkin/terminal_result.html", session=session, participant=participant,
                               error=refusal.message), 422
    return render_template("checkin/terminal_sign.html", session=session, participant=participant,
                           form=form or CheckInForm(participant_id=participant.id),
                           need=refusal.need if refusal else None, hint=refusal.message if refusal else None,
                           error=error), status


@bp.post("/termin/<int:session_id>/einchecken")
@paired
def sign(session_id: int):
    """Step 2: the signature; the one check-in service decides."""
    session = _session_or_404(session_id)
    form = CheckInForm()
    participant = db.session.get(Participant, int(form.participant_id.data or 0))
    if participant is None or participant.group_id != g.terminal.group_id:
        abort(404)
    try:
        png = decode_signature(form.signature.data or "")
        result = check_in(participant, session, png, springer_reason=form.springer_reason.data,
                          extra_reason=form.extra_reason.data, terminal=g.terminal)
    except CheckInRefused as refused:
        db.session.rollback()
        return _sign_page(session, participant, form, refused.message, 422)
    db.session.commit()
    return render_template("checkin/terminal_result.html", session=session, participant=participant,
                           result=result, remaining=remaining_units(result.attendance.prescription))
