"""Today's courses (or a past day's, for a forgotten check-in) with who is expected and who came,
the manual check-in at the front desk, and the "Zu klären" list of refused offline check-ins."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ...auth.permissions import Permission, get_or_404, requires
from ...extensions import db
from ...i18n import N_, translate
from ...schedule.models import Course
from ...timeutil import EARLIEST_DAY, today_berlin
from ...web import arg_day, arg_id, done, page_or_fragment, parse_id, redirect_unless_htmx
from .. import clarify
from ..day import day_overview
from ..forms import CheckInForm, LateCheckInForm, ResolveForm
from ..models import OfflineCheckIn, Participant
from ..queries import unrestricted_participants
from ..services import CheckInRefused, check_in, decode_signature, look_ahead
from .blueprint import bp


def _day_url(day: date, *_args, **_kwargs) -> str:
    return url_for(".today") if day == today_berlin() else url_for(".day_page", datum=day.isoformat())


@redirect_unless_htmx(_day_url)
def _day_page(day: date, *, status: int = 200, message: str | None = None, category: str = "success", form=None,
              open_course: int | None = None, open_item: int | None = None, open_action: str | None = None,
              needs=(), refusal: str | None = None):
    """The courses of a day with who is expected and who came, each with a check-in in the portal
    (another day's is a "Nachtrag" with its reason); today's page also lists "Zu klären". After a
    refused check-in its course's form stays open with what was entered and the reasons the rules
    ask for; after a refused resolution of a "Zu klären" item the message and what was typed stay
    at the item."""
    today = day == today_berlin()
    blank = CheckInForm(formdata=None) if today else LateCheckInForm(formdata=None)
    return page_or_fragment("checkin/today.html", "checkin/_today.html", status, day=day, today=today,
                            sessions=day_overview(current_user.group_id, day),
                            participants=unrestricted_participants(current_user.group_id),
                            blank=blank, form=form, open_course=open_course, needs=needs, refusal=refusal,
                            today_iso=today_berlin().isoformat(), previous_day=day - timedelta(days=1),
                            next_day=day + timedelta(days=1),
                            message=message, category=category,
                            to_clarify=clarify.open_items(current_user.group_id) if today else [],
                            open_item=open_item, open_action=open_action,
                            resolve_form=ResolveForm(formdata=None), signature_of=clarify.signature_base64)


def _today(**kwargs):
    return _day_page(today_berlin(), **kwargs)


def _chosen(day: date):
    """A course and person named in the address (a name in the list of those expected): that
    course's check-in opens with the person chosen and the reasons the rules ask for."""
    course_id, person_id = arg_id("kurs", translate(N_("Kurs"))), arg_id("person", translate(N_("Person")))
    if course_id is None or person_id is None:
        return {}
    course, person = get_or_404(Course, course_id, weekday=day.weekday()), get_or_404(Participant, person_id)
    refusal, needs = look_ahead(person, course, day)
    form = (CheckInForm if day == today_berlin() else LateCheckInForm)(formdata=None, participant_id=str(person.id))
    return {"form": form, "open_course": course.id, "needs": needs, "refusal": refusal}


@bp.get("/heute")
@bp.get("")
@requires(Permission.CHECK_IN)
def today():
    """The check-in start page: today's courses with who is expected and who checked in, and a
    manual check-in."""
    return _today(**_chosen(today_berlin()))


def _past_day(datum: str) -> date:
    """The day of a "Nachtrag" page: a valid date before today (else 404)."""
    try:
        day = date.fromisoformat(datum) if len(datum) == 10 else None
    except ValueError:
        day = None
    if day is None or not EARLIEST_DAY <= day < today_berlin():
        abort(404)
    return day


@bp.get("/tag")
@requires(Permission.CHECK_IN)
def open_day():
    """"Anderen Tag öffnen": today's page, or a past day's for a forgotten check-in."""
    day = arg_day("datum", translate(N_("Datum")))
    if day is None or day == today_berlin():
        return redirect(url_for(".today"))
    if day > today_berlin():
        return done(_("Für einen künftigen Tag lässt sich nichts nachtragen."), "warning", url_for(".today"))
    return redirect(url_for(".day_page", datum=day.isoformat()))


@bp.get("/tag/<datum>")
@requires(Permission.CHECK_IN)
def day_page(datum: str):
    """A past day's courses, to enter a check-in that was forgotten (with its reason, audited)."""
    day = _past_day(datum)
    return _day_page(day, **_chosen(day))


@bp.get("/tag/<datum>/<int:course_id>/pruefen")
@requires(Permission.CHECK_IN)
def check_in_rules(datum: str, course_id: int):
    """The check-in form's look ahead once a person is chosen, before they sign: the reasons the
    rules ask for (only those fields appear), or why the rules would refuse. Records nothing."""
    day = date.fromisoformat(datum) if datum == today_berlin().isoformat() else _past_day(datum)
    course = get_or_404(Course, course_id, weekday=day.weekday())
    person_id = parse_id(request.args.get("participant_id", ""))
    refusal, needs = look_ahead(get_or_404(Participant, person_id), course, day) if person_id else (None, [])
    return render_template("checkin/_checkin_rules.html", course=course, needs=needs, refusal=refusal,
                           entered=CheckInForm(formdata=None))


def _check_in(day: date, course_id: int, form):
    """A check-in recorded in the portal, through the same service as the terminal."""
    course = get_or_404(Course, course_id, weekday=day.weekday())
    refused = {"status": 422, "category": "error", "form": form, "open_course": course.id}
    if parse_id(form.participant_id.data) is None:
        return _day_page(day, message=_("Bitte wählen Sie eine Person."), **refused)
    person = get_or_404(Participant, form.participant_id.data)
    if not form.validate():
        return _day_page(day, message=_("Bitte prüfen Sie die Angaben."), **refused)
    try:
        result = check_in(person, course, day, decode_signature(form.signature.data or ""),
                          springer_reason=form.springer_reason.data, extra_reason=form.extra_reason.data,
                          late_reason=form.data.get("late_reason"), user=current_user)
    except CheckInRefused as refusal:
        db.session.rollback()
        return _day_page(day, message=refusal.message, needs=[refusal.need] if refusal.need else [], **refused)
    db.session.commit()
    return _day_page(day, message=ngettext("%(name)s ist eingecheckt; noch %(num)s Einheit.",
                                           "%(name)s ist eingecheckt; noch %(num)s Einheiten.",
                                           result.remaining_units, name=person.full_name))


@bp.post("/heute/<int:course_id>/einchecken")
@requires(Permission.CHECK_IN)
def manual_check_in(course_id: int):
    """A check-in today at the front desk."""
    return _check_in(today_berlin(), course_id, CheckInForm())


@bp.post("/tag/<datum>/<int:course_id>/einchecken")
@requires(Permission.CHECK_IN)
def late_check_in(datum: str, course_id: int):
    """A check-in forgotten on its day, entered afterwards with the reason."""
    return _check_in(_past_day(datum), course_id, LateCheckInForm())


@bp.post("/zu-klaeren/<int:item_id>/<any(uebernehmen, verwerfen):action>")
@requires(Permission.CHECK_IN)
def resolve_offline(item_id: int, action: str):
    """A check-in from "Zu klären": taken as an attendance after all, or not counted, with a note."""
    item, form = get_or_404(OfflineCheckIn, item_id), ResolveForm()
    refused = {"status": 422, "category": "error", "form": form, "open_item": item.id, "open_action": action}
    if not form.validate():
        return _today(message=_("Bitte prüfen Sie die Angaben."), **refused)
    name = item.participant.full_name
    try:
        clarify.resolve(item, action == "uebernehmen", current_user, springer_reason=form.springer_reason.data,
                        extra_reason=form.extra_reason.data, note=form.note.data)
    except CheckInRefused as refusal:
        return _today(message=refusal.message, **refused)
    db.session.commit()
    if action == "uebernehmen":
        return _today(message=_("Der Check-in von %(name)s ist als Teilnahme übernommen.", name=name))
    return _today(message=_("Der Check-in von %(name)s wird nicht gezählt.", name=name))
