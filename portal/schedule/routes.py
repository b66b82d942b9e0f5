from datetime import datetime, time

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select

from ..auth.permissions import Permission, get_or_404, requires
from ..calendars.section import section_context
from ..extensions import db, htmx
from ..forms import ConfirmForm, confirmed_or_400, posted_form
from ..i18n import time_filter, weekday_filter, weekday_names
from ..tenancy import Therapist
from ..timeutil import BERLIN, today_berlin
from ..web import done
from .forms import AppointmentForm, AssignCourseForm, CourseForm
from .models import Appointment, Course
from .services import add_appointment, assign_course, create_course, remove_appointment, unassign_course

bp = Blueprint("schedule", __name__, url_prefix="/therapeuten/<int:therapist_id>")
APPOINTMENT_LIMIT = 100  # upcoming ones listed (a calendar may bring thousands; the app has them all)
PAST_LIMIT = 20


def _course_label(course: Course) -> str:
    return f"{course.name} ({course.kind.label}, {weekday_filter(course.weekday)} {time_filter(course.start_time)})"


def _appointments(therapist: Therapist) -> dict:
    """The next appointments from today on, the most recent past ones, and how many there are of each."""
    today = datetime.combine(today_berlin(), time.min, BERLIN)
    mine = Appointment.therapist_id == therapist.id
    upcoming_total, past_total = db.session.execute(select(
        func.count(case((Appointment.starts_at >= today, 1))), func.count(case((Appointment.starts_at < today, 1)))
    ).where(mine)).one()
    return {
        "appointments": db.session.scalars(select(Appointment).where(mine, Appointment.starts_at >= today)
                                           .order_by(Appointment.starts_at, Appointment.id)
                                           .limit(APPOINTMENT_LIMIT)).all(),
        "past_appointments": db.session.scalars(select(Appointment).where(mine, Appointment.starts_at < today)
                                                .order_by(Appointment.starts_at.desc(), Appointment.id)
                                                .limit(PAST_LIMIT)).all(),
        "upcoming_total": upcoming_total or 0,
        "past_total": past_total or 0,
    }


def _context(therapist: Therapist, appointment_form=None, course_form=None, assign_form=None) -> dict:
    practices = therapist.group.practices
    courses = db.session.scalars(
        select(Course).where(Course.therapist_id == therapist.id).order_by(Course.weekday, Course.start_time)
    ).all()
    assignable = db.session.scalars(
        select(Course)
        .where(Course.group_id == therapist.group_id,
               or_(Course.therapist_id.is_(None), Course.therapist_id != therapist.id))
        .order_by(Course.weekday, Course.start_time)
    ).all()
    return {
        "therapist": therapist,
        **_appointments(therapist),
        "courses": courses,
        "appointment_form": appointment_form or AppointmentForm(formdata=None, practices=practices,
                                                                own_practices=therapist.practices),
        "course_form": course_form or CourseForm(formdata=None, practices=practices, own_practices=therapist.practices,
                                                 weekdays=weekday_names()),
        "assign_form": assign_form or AssignCourseForm(formdata=None,
                                                       course_choices=[(c.id, _course_label(c)) for c in assignable]),
        "confirm_form": ConfirmForm(),
    }


def _respond(therapist: Therapist, message: str | None = None, status: int = 200, **forms):
    """The whole schedule section for htmx; otherwise the page, or a redirect to it after a change."""
    if htmx:
        return render_template("schedule/_schedule.html", message=message, **_context(therapist, **forms)), status
    if message:
        return done(message, "success", url_for(".page", therapist_id=therapist.id))
    context = {**section_context(therapist), **_context(therapist, **forms)}
    return render_template("schedule/page.html", **context), status


def _therapist(therapist_id: int) -> Therapist:
    return get_or_404(Therapist, therapist_id)


def _assignable_choices(therapist: Therapist) -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in db.session.scalars(select(Course).where(Course.group_id == therapist.group_id))]


def _changed(therapist: Therapist, message: str):
    """After a change: committed, then the section with the message (a redirect after a plain post)."""
    db.session.commit()
    return _respond(therapist, message)


def _removed(therapist_id: int, model, object_id: int, remove, message, **attributes):
    """A bare button that takes one of the therapist's appointments or courses away: confirmed,
    removed by ``remove``, and the section again with ``message(removed)``."""
    therapist = _therapist(therapist_id)
    removed = get_or_404(model, object_id, therapist_id=therapist.id, **attributes)
    confirmed_or_400()
    remove(removed)
    return _changed(therapist, message(removed))


@bp.get("/termine")
@requires(Permission.VIEW_THERAPISTS)
def page(therapist_id: int):
    return _respond(_therapist(therapist_id))


@bp.post("/termine")
@requires(Permission.EDIT_THERAPISTS)
@posted_form(_therapist, lambda therapist: AppointmentForm(practices=therapist.group.practices), "appointment_form",
             _respond)
def add_appointment_view(therapist: Therapist, form: AppointmentForm):
    appointment = add_appointment(therapist, form.data)
    return _changed(therapist, _("Termin „%(title)s“ hinzugefügt.", title=appointment.title))


@bp.post("/termine/<int:appointment_id>/entfernen")
@requires(Permission.EDIT_THERAPISTS)
def remove_appointment_view(therapist_id: int, appointment_id: int):
    return _removed(therapist_id, Appointment, appointment_id, remove_appointment,
                    lambda appointment: _("Termin entfernt."), calendar_id=None)  # a calendar's are read-only


@bp.post("/kurse")
@requires(Permission.EDIT_THERAPISTS)
@posted_form(_therapist, lambda therapist: CourseForm(practices=therapist.group.practices, weekdays=weekday_names()),
             "course_form", _respond)
def create_course_view(therapist: Therapist, form: CourseForm):
    course = create_course(therapist, form.data)
    return _changed(therapist, _("Kurs „%(name)s“ angelegt.", name=course.name))


@bp.post("/kurse/zuordnen")
@requires(Permission.EDIT_THERAPISTS)
@posted_form(_therapist, lambda therapist: AssignCourseForm(course_choices=_assignable_choices(therapist)),
             "assign_form", _respond)
def assign_course_view(therapist: Therapist, form: AssignCourseForm):
    course = get_or_404(Course, form.course_id.data)
    assign_course(therapist, course)
    return _changed(therapist, _("Kurs „%(name)s“ zugeordnet.", name=course.name))


@bp.post("/kurse/<int:course_id>/entfernen")
@requires(Permission.EDIT_THERAPISTS)
def unassign_course_view(therapist_id: int, course_id: int):
    return _removed(therapist_id, Course, course_id, unassign_course,
                    lambda course: _("Kurs „%(name)s“ ist diesem Therapeuten nicht mehr zugeordnet.", name=course.name))
