from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import jobs
from ..auth.permissions import Permission, get_or_404, requires
from ..extensions import db, htmx
from ..forms import ConfirmForm, confirmed_or_400, posted_form
from ..tenancy import Therapist
from ..web import done
from . import messages
from .forms import SubscribeForm, UploadForm
from .models import CalendarSubscription
from .parse import NotACalendar
from .queries import calendars_of
from .section import section_context
from .services import AlreadySubscribed, remove, request_fetch, subscribe, upload

bp = Blueprint("calendars", __name__, url_prefix="/therapeuten/<int:therapist_id>/kalender")
APPOINTMENTS_CHANGED = {"HX-Trigger": "appointments-changed"}  # the tab's appointment list reloads itself

bp.add_app_template_filter(messages.error_text, "calendar_error")
bp.add_app_template_filter(messages.error_fix, "calendar_fix")
bp.add_app_template_filter(messages.skip_reason, "calendar_skip_reason")


def _therapist(therapist_id: int) -> Therapist:
    return get_or_404(Therapist, therapist_id)


def _calendar(therapist_id: int, calendar_id: int) -> tuple[Therapist, CalendarSubscription]:
    therapist = _therapist(therapist_id)
    return therapist, get_or_404(CalendarSubscription, calendar_id, therapist_id=therapist.id)


def _section(therapist: Therapist, message: str | None = None, category: str = "success", status: int = 200,
             headers: dict | None = None, **forms):
    """The calendar section for htmx; otherwise back to the Termine tab with the message (a form's
    errors become the message there)."""
    if not htmx:
        errors = [error for form in forms.values() for field_errors in form.errors.values() for error in field_errors]
        return done(message or " ".join(str(error) for error in errors), "error" if errors else category,
                    url_for("schedule.page", therapist_id=therapist.id, _anchor="calendars"))
    return render_template("calendars/_calendars.html", message=message, category=category,
                           **section_context(therapist, **forms)), status, headers or {}


def _handed_over(message: str) -> str:
    if jobs.handover_failed():
        return _("%(message)s Der Hintergrunddienst ist gerade nicht erreichbar: Der Abruf folgt, sobald er wieder "
                 "läuft.", message=message)
    return message


@bp.post("")
@requires(Permission.EDIT_THERAPISTS)
@posted_form(_therapist, lambda therapist: SubscribeForm(practices=therapist.group.practices), "subscribe_form",
             _section)
def subscribe_view(therapist: Therapist, form: SubscribeForm):
    try:
        subscribe(therapist, form.practice_id.data, form.address.data, current_user)
    except AlreadySubscribed:
        form.address.errors.append(_("Diesen Kalender hat %(name)s schon abonniert.", name=therapist.full_name))
        return _section(therapist, status=422, subscribe_form=form)
    db.session.commit()
    return _section(therapist, _handed_over(_("Kalender gespeichert; er wird jetzt abgerufen.")))


@bp.post("/hochladen")
@requires(Permission.EDIT_THERAPISTS)
@posted_form(_therapist, lambda therapist: UploadForm(practices=therapist.group.practices), "upload_form", _section)
def upload_view(therapist: Therapist, form: UploadForm):
    try:
        calendar, counts = upload(therapist, form.practice_id.data, form.filename, form.body, current_user)
    except NotACalendar:
        form.file.errors.append(_("Die Datei ist kein Kalender im iCalendar-Format (.ics)."))
        return _section(therapist, status=422, upload_form=form)
    db.session.commit()
    message = _("„%(file)s“ übernommen: %(added)s neu, %(changed)s geändert, %(removed)s entfernt.",
                file=calendar.label, added=counts.added, changed=counts.changed, removed=counts.removed)
    return _section(therapist, message, headers=APPOINTMENTS_CHANGED)


@bp.post("/<int:calendar_id>/abrufen")
@requires(Permission.EDIT_THERAPISTS)
def fetch_view(therapist_id: int, calendar_id: int):
    therapist, calendar = _calendar(therapist_id, calendar_id)
    confirmed_or_400()
    if not calendar.is_feed:
        abort(400)
    request_fetch(calendar)
    db.session.commit()
    return _section(therapist, _handed_over(_("Der Kalender wird abgerufen.")))


@bp.post("/<int:calendar_id>/entfernen")
@requires(Permission.EDIT_THERAPISTS)
def remove_view(therapist_id: int, calendar_id: int):
    therapist, calendar = _calendar(therapist_id, calendar_id)
    confirmed_or_400()
    count = remove(calendar, current_user)
    db.session.commit()
    message = ngettext("Kalender entfernt und mit ihm %(num)s Termin.",
                       "Kalender entfernt und mit ihm %(num)s Termine.", count)
    return _section(therapist, message, headers=APPOINTMENTS_CHANGED)


@bp.get("/<int:calendar_id>")
@requires(Permission.VIEW_THERAPISTS)
def status_view(therapist_id: int, calendar_id: int):
    """One calendar's line, polled while a fetch is on its way; when it has run and changed
    something, the tab's appointment list reloads too."""
    therapist, calendar = _calendar(therapist_id, calendar_id)
    if not htmx:
        return redirect(url_for("schedule.page", therapist_id=therapist.id, _anchor=f"calendar-{calendar.id}"))
    view = next(v for v in calendars_of(therapist.id) if v.calendar.id == calendar.id)
    changed = not calendar.fetch_pending() and (calendar.added or calendar.changed or calendar.removed)
    return (render_template("calendars/_calendar.html", view=view, therapist=therapist, confirm_form=ConfirmForm()),
            200, APPOINTMENTS_CHANGED if changed else {})
