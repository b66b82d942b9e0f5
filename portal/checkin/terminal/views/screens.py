"""The terminal's touch screens online: today's courses, identification by chip or name and date of
birth, the signature, and the result; a signed ticket carries who was identified to the signature."""

from __future__ import annotations

from flask import current_app, g, render_template
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer

from .... import limits
from ....auth.permissions import get_or_404
from ....extensions import db, limiter
from ....schedule.models import Course
from ....timeutil import today_berlin, utcnow
from ...forms import IdentifyForm, TerminalCheckInForm
from ...models import Participant
from ...services import (
    CheckInRefused,
    check_in,
    courses_on,
    decode_signature,
    find_participant,
    preview,
    remaining_units,
)
from .blueprint import bp, paired, tablet

TICKET_SECONDS = 10 * 60  # from identification to the signature


def _todays_course(course_id) -> Course:
    """A course of the terminal's group that meets today, or 404."""
    return get_or_404(Course, course_id, group_id=g.terminal.group_id, weekday=today_berlin().weekday())


@bp.get("")
@paired
def index():
    return render_template("checkin/terminal/index.html", courses=courses_on(g.terminal.group_id, today_berlin()))


@bp.route("/kurs/<int:course_id>", methods=["GET", "POST"])
@limiter.limit(limits.setting("TERMINAL_LOOKUP_LIMIT"), methods=["POST"], key_func=tablet)
@limiter.limit(limits.setting("TERMINAL_MISS_LIMIT"), methods=["POST"], key_func=tablet,
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
