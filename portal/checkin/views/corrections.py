"""Corrections of a check-in: cancelled with a reason, or moved to another course of its day."""

from __future__ import annotations

import base64

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...auth.permissions import Permission, get_or_404, requires
from ...extensions import db
from ...i18n import date_filter
from ...schedule.models import Course
from ...timeutil import today_berlin
from ...web import done
from ..forms import CancelForm, MoveForm
from ..models import Attendance
from ..services import CheckInRefused, cancel_attendance, courses_on, move_attendance
from .blueprint import bp


def _other_courses(attendance: Attendance) -> list[Course]:
    """The sessions a check-in can move to: the other courses of its day."""
    session = attendance.session
    return [c for c in courses_on(attendance.group_id, session.day) if c.id != session.course_id]


def _correction_page(attendance: Attendance, cancel_form=None, move_form=None, status: int = 200,
                     error: str | None = None):
    back, back_label = _listed_at(attendance)
    return render_template("checkin/attendance_detail.html", attendance=attendance, error=error,
                           signature=base64.b64encode(attendance.signature_png).decode(),
                           back=back, back_label=back_label,
                           cancel_form=cancel_form or CancelForm(formdata=None),
                           move_form=move_form or MoveForm(formdata=None, courses=_other_courses(attendance))), status


def _listed_at(attendance: Attendance) -> tuple[str, str]:
    """Where the check-in is listed, and that page's name: today's page for today's, else its
    course's monthly list."""
    session = attendance.session
    if session.day == today_berlin():
        return url_for(".today"), _("Heutige Kurse")
    return (url_for(".attendance_list", course_id=session.course_id, monat=f"{session.day:%Y-%m}"),
            _("Anwesenheitsliste %(course)s", course=session.course.name))


@bp.get("/teilnahmen/<int:attendance_id>")
@requires(Permission.CHECK_IN)
def attendance_detail(attendance_id: int):
    """One check-in with its signature, to cancel it or move it to another session of the day."""
    return _correction_page(get_or_404(Attendance, attendance_id))


@bp.post("/teilnahmen/<int:attendance_id>/stornieren")
@requires(Permission.CHECK_IN)
def cancel_attendance_view(attendance_id: int):
    attendance = get_or_404(Attendance, attendance_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _correction_page(attendance, cancel_form=form, status=422)
    try:
        cancel_attendance(attendance, form.reason.data, current_user)
    except CheckInRefused as refused:
        db.session.rollback()
        return _correction_page(attendance, status=422, error=refused.message)
    db.session.commit()
    return done(_("Die Teilnahme von %(name)s am %(day)s ist storniert.", name=attendance.participant.full_name,
                  day=date_filter(attendance.session.day)), "success", _listed_at(attendance)[0])


@bp.post("/teilnahmen/<int:attendance_id>/verschieben")
@requires(Permission.CHECK_IN)
def move_attendance_view(attendance_id: int):
    attendance = get_or_404(Attendance, attendance_id)
    form = MoveForm(courses=_other_courses(attendance))
    if not form.validate_on_submit():
        return _correction_page(attendance, move_form=form, status=422)
    course = get_or_404(Course, form.course_id.data)
    try:
        result = move_attendance(attendance, course, current_user, springer_reason=form.springer_reason.data,
                                 extra_reason=form.extra_reason.data)
    except CheckInRefused as refused:
        db.session.rollback()
        return _correction_page(attendance, move_form=form, status=422, error=refused.message)
    db.session.commit()
    return done(_("Die Teilnahme von %(name)s ist jetzt bei „%(course)s“.", name=attendance.participant.full_name,
                course=course.name), "success", _listed_at(result.attendance)[0])
