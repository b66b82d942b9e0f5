"""Monthly attendance lists of a course group (page, CSV and PDF) and a prescription's
"Teilnahmenachweis" as PDF for the payer."""

from __future__ import annotations

import base64
from datetime import date
from functools import wraps

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...auth.permissions import Permission, get_or_404, requires
from ...errors import render_error
from ...i18n import N_, translate
from ...schedule.models import Course
from ...timeutil import add_months, month_start, today_berlin
from ...web import arg_id, arg_month, csv_download, done, ignored_arguments, pdf_download
from .. import pdfs
from ..models import Prescription
from ..queries import group_courses, month_rows, proof_attendances
from ..services import remaining_units
from .blueprint import bp


def _month() -> date:
    """The month of ?monat=YYYY-MM, else the current one (a month not understood is named on the page)."""
    return arg_month("monat", translate(N_("Monat"))) or month_start(today_berlin())


@bp.get("/anwesenheit")
@requires(Permission.CHECK_IN)
def attendance_index():
    """Every course group of the practice group, each with its attendance list of a month."""
    return render_template("checkin/attendance_index.html", courses=group_courses(current_user.group_id),
                           month=_month())


@bp.get("/<int:course_id>/anwesenheit")
@requires(Permission.CHECK_IN)
def attendance_list(course_id: int):
    """The attendance list of a course group for a month, printable with the signatures; the page
    chooses another course or month, or steps a month back and forth."""
    course, month = get_or_404(Course, course_id), _month()
    rows = [(a, base64.b64encode(a.signature_png).decode()) for a in month_rows(course, month, with_cancelled=True)]
    following = add_months(month, 1) if month < month_start(today_berlin()) else None
    return render_template("checkin/attendance.html", course=course, month=month, rows=rows,
                           courses=group_courses(current_user.group_id), previous=add_months(month, -1),
                           following=following)


@bp.get("/anwesenheit/anzeigen")
@requires(Permission.CHECK_IN)
def attendance_choice():
    """The chooser's form (course and month) leads to that list; without a course, back to the choice."""
    chosen = arg_id("kurs", translate(N_("Kurs")))
    if chosen is None:
        return done(_("Bitte wählen Sie einen Kurs."), "warning", url_for(".attendance_index"))
    course = get_or_404(Course, chosen)
    month = _month()
    chosen = request.args.get("monat") if ignored_arguments() else f"{month:%Y-%m}"  # the list names a bad one
    return redirect(url_for(".attendance_list", course_id=course.id, monat=chosen))


def _month_download(view):
    """A list download: the course and month of the URL, or the refusal when the month was not
    understood (a download cannot say what it left out)."""

    @wraps(view)
    def wrapped(course_id: int):
        course, month = get_or_404(Course, course_id), _month()
        if ignored_arguments():
            return render_error(400, _(
                "Diesen Monat gibt es nicht. Bitte wählen Sie in der Anwesenheitsliste einen Monat und laden Sie "
                "die Liste dann herunter."))
        return view(course, month)

    return wrapped


@bp.get("/<int:course_id>/anwesenheit.csv")
@requires(Permission.CHECK_IN)
@_month_download
def attendance_csv(course: Course, month: date):
    header = ["Datum", "Uhrzeit", "Teilnehmer", "Geburtsdatum", "Springer", "Grund", "Kostenträger"]
    return csv_download(f"anwesenheit-{course.id}-{month:%Y-%m}.csv", header, (
        [a.session.day.strftime("%d.%m.%Y"), a.session.start_time.strftime("%H:%M"), a.participant.full_name,
         a.participant.birth_date.strftime("%d.%m.%Y"), "ja" if a.springer else "nein",
         a.springer_reason or a.extra_reason or "", a.prescription.payer] for a in month_rows(course, month)))


@bp.get("/<int:course_id>/anwesenheit.pdf")
@requires(Permission.CHECK_IN)
@_month_download
def attendance_pdf(course: Course, month: date):
    content = pdfs.monthly_list(course, month, month_rows(course, month), current_user.group.name)
    return pdf_download(content, f"anwesenheit-{course.id}-{month:%Y-%m}.pdf")


@bp.get("/verordnungen/<int:prescription_id>/teilnahmenachweis.pdf")
@requires(Permission.CHECK_IN)
def participation_proof_pdf(prescription_id: int):
    """The prescription's "Teilnahmenachweis" for the payer: every unit with its signature."""
    prescription = get_or_404(Prescription, prescription_id)
    content = pdfs.participation_proof(prescription, proof_attendances(prescription), current_user.group.name,
                                       remaining_units(prescription))
    return pdf_download(content, f"teilnahmenachweis-{prescription.id}.pdf")
