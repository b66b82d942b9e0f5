"""Check-in in the portal: terminals, participants and prescriptions, today's sessions, monthly lists."""

from __future__ import annotations

import base64
import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..audit.services import record
from ..auth.permissions import Permission, get_in_group_or_404, requires
from ..extensions import db
from ..groups.models import LicenceKind, PracticeGroup
from ..schedule.forms import ConfirmForm
from ..schedule.models import Course
from ..timeutil import today_berlin
from . import terminals
from .forms import CheckInForm, MembershipForm, ParticipantForm, PrescriptionForm, TerminalForm
from .models import Attendance, CourseMember, CourseSession, Participant, Prescription, Terminal
from .services import CheckInRefused, check_in, decode_signature, remaining_units, todays_sessions

bp = Blueprint("checkin", __name__, url_prefix="/kurse")


def _group() -> PracticeGroup:
    return db.session.get(PracticeGroup, current_user.group_id)


# --- terminals ----------------------------------------------------------------------------------

@bp.route("/terminals", methods=["GET", "POST"])
@requires(Permission.MANAGE_TERMINALS)
def terminal_list():
    """"Terminal hinzufügen": name and id; the pairing code and QR code are shown once."""
    form, pairing = TerminalForm(), None
    licensed = _group().has_licence(LicenceKind.CHECKIN)
    if form.validate_on_submit():
        if not licensed:
            flash(_("Für Terminals braucht Ihre Praxisgruppe die Check-in-Lizenz. Bitte wenden Sie sich an den "
                    "Kundenservice."), "error")
        elif db.session.scalar(select(Terminal.id).where(Terminal.group_id == current_user.group_id,
                                                         Terminal.terminal_key == form.key.data.strip())):
            form.key.errors.append(_("Diese Kennung ist schon vergeben."))
        else:
            pairing = terminals.register(current_user.group_id, form.name.data.strip(), form.key.data.strip(),
                                         current_user)[1]
            db.session.commit()
            form = TerminalForm(formdata=None)
    items = db.session.scalars(select(Terminal).where(Terminal.group_id == current_user.group_id)
                               .order_by(Terminal.id)).all()
    status = 422 if form.errors else 200
    return render_template("checkin/terminals.html", form=form, terminals=items, pairing=pairing, licensed=licensed,
                           confirm_form=ConfirmForm()), status


@bp.post("/terminals/<int:terminal_id>/<any(sperren, koppeln):action>")
@requires(Permission.MANAGE_TERMINALS)
def terminal_action(terminal_id: int, action: str):
    terminal = get_in_group_or_404(Terminal, terminal_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    pairing = None
    if action == "sperren":
        terminals.revoke(terminal, current_user)
        flash(_("Terminal „%(name)s“ ist gesperrt.", name=terminal.name), "success")
    elif terminal.revoked_at is None:
        pairing = terminals.new_pairing(terminal)
    db.session.commit()
    items = db.session.scalars(select(Terminal).where(Terminal.group_id == current_user.group_id)
                               .order_by(Terminal.id)).all()
    return render_template("checkin/terminals.html", form=TerminalForm(formdata=None), terminals=items,
                           pairing=pairing, licensed=_group().has_licence(LicenceKind.CHECKIN),
                           confirm_form=ConfirmForm())


# --- participants and prescriptions ---------------------------------------------------------------

@bp.route("/teilnehmer", methods=["GET", "POST"])
@requires(Permission.CHECK_IN)
def participants():
    form = ParticipantForm()
    if form.validate_on_submit():
        chip = (form.chip_id.data or "").strip() or None
        if chip and db.session.scalar(select(Participant.id).where(Participant.group_id == current_user.group_id,
                                                                   Participant.chip_id == chip)):
            form.chip_id.errors.append(_("Dieser Chip ist schon einer anderen Person zugeordnet."))
        else:
            participant = Participant(group_id=current_user.group_id, first_name=form.first_name.data.strip(),
                                      last_name=form.last_name.data.strip(), birth_date=form.birth_date.data,
                                      chip_id=chip)
            db.session.add(participant)
            db.session.flush()
            record("participant.created", group_id=current_user.group_id, details={"participant_id": participant.id})
            db.session.commit()
            return redirect(url_for(".participant", participant_id=participant.id))
    people = db.session.scalars(select(Participant).where(Participant.group_id == current_user.group_id)
                                .order_by(Participant.last_name, Participant.first_name)).all()
    return render_template("checkin/participants.html", form=form, participants=people), 422 if form.errors else 200


def _participant_page(participant, prescription_form=None, membership_form=None, status=200):
    courses = db.session.scalars(select(Course).where(Course.group_id == participant.group_id)
                                 .order_by(Course.weekday, Course.start_time)).all()
    member_ids = set(db.session.scalars(select(CourseMember.course_id)
                                        .where(CourseMember.participant_id == participant.id)))
    springer = db.session.scalars(select(Attendance).where(Attendance.participant_id == participant.id,
                                                           Attendance.springer.is_(True))
                                  .order_by(Attendance.checked_in_at.desc())).all()
    return render_template(
        "checkin/participant.html", participant=participant,
        prescriptions=[(p, remaining_units(p)) for p in participant.prescriptions],
        memberships=[c for c in courses if c.id in member_ids], springer=springer,
        prescription_form=prescription_form or PrescriptionForm(formdata=None),
        membership_form=membership_form or MembershipForm(formdata=None,
                                                          courses=[c for c in courses if c.id not in member_ids]),
    ), status


@bp.get("/teilnehmer/<int:participant_id>")
@requires(Permission.CHECK_IN)
def participant(participant_id: int):
    return _participant_page(get_in_group_or_404(Participant, participant_id))


@bp.post("/teilnehmer/<int:participant_id>/verordnungen")
@requires(Permission.CHECK_IN)
def add_prescription(participant_id: int):
    person = get_in_group_or_404(Participant, participant_id)
    form = PrescriptionForm()
    if not form.validate_on_submit():
        return _participant_page(person, prescription_form=form, status=422)
    prescription = Prescription(group_id=person.group_id, participant_id=person.id, kind=form.kind.data,
                                units_approved=form.units_approved.data, valid_months=form.valid_months.data,
                                payer=(form.payer.data or "").strip())
    db.session.add(prescription)
    db.session.flush()
    record("prescription.created", group_id=person.group_id,
           details={"participant_id": person.id, "prescription_id": prescription.id, "kind": prescription.kind,
                    "units": prescription.units_approved})
    db.session.commit()
    return redirect(url_for(".participant", participant_id=person.id))


@bp.post("/teilnehmer/<int:participant_id>/gruppen")
@requires(Permission.CHECK_IN)
def add_membership(participant_id: int):
    person = get_in_group_or_404(Participant, participant_id)
    courses = db.session.scalars(select(Course).where(Course.group_id == person.group_id)).all()
    form = MembershipForm(courses=courses)
    if not form.validate_on_submit():
        return _participant_page(person, membership_form=form, status=422)
    if db.session.get(CourseMember, (form.course_id.data, person.id)) is None:
        db.session.add(CourseMember(course_id=form.course_id.data, participant_id=person.id))
        record("course_member.added", group_id=person.group_id,
               details={"participant_id": person.id, "course_id": form.course_id.data})
        db.session.commit()
    return redirect(url_for(".participant", participant_id=person.id))


# --- today's sessions, manual check-in, monthly lists ----------------------------------------------

@bp.get("/heute")
@requires(Permission.CHECK_IN)
def today():
    sessions = todays_sessions(current_user.group_id)
    db.session.commit()
    attendances = {s.id: db.session.scalars(select(Attendance).where(Attendance.session_id == s.id)
                                            .order_by(Attendance.checked_in_at)).all() for s in sessions}
    people = db.session.scalars(select(Participant).where(Participant.group_id == current_user.group_id)
                                .order_by(Participant.last_name)).all()
    return render_template("checkin/today.html", sessions=sessions, attendances=attendances, participants=people,
                           form=CheckInForm(formdata=None), day=today_berlin())


@bp.post("/heute/<int:session_id>/einchecken")
@requires(Permission.CHECK_IN)
def manual_check_in(session_id: int):
    """A check-in recorded in the portal, through the same service as the terminal."""
    session = get_in_group_or_404(CourseSession, session_id)
    form = CheckInForm()
    person = get_in_group_or_404(Participant, int(form.participant_id.data or 0)) if form.participant_id.data else None
    if person is None:
        flash(_("Bitte wählen Sie eine Person."), "error")
        return redirect(url_for(".today"))
    try:
        result = check_in(person, session, decode_signature(form.signature.data or ""),
                          springer_reason=form.springer_reason.data, extra_reason=form.extra_reason.data,
                          user=current_user)
    except CheckInRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for(".today"))
    db.session.commit()
    flash(_("%(name)s ist eingecheckt; noch %(n)s Einheiten.", name=person.full_name, n=result.remaining_units),
          "success")
    return redirect(url_for(".today"))


def _month(value: str | None) -> date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today_berlin().replace(day=1)


def _month_rows(course: Course, month: date):
    end = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return db.session.scalars(
        select(Attendance).join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(CourseSession.course_id == course.id, CourseSession.day >= month, CourseSession.day < end)
        .order_by(CourseSession.day, Attendance.checked_in_at)
    ).all()


@bp.get("/<int:course_id>/anwesenheit")
@requires(Permission.CHECK_IN)
def attendance_list(course_id: int):
    """The attendance list of a course group for a month, printable with the signatures."""
    course = get_in_group_or_404(Course, course_id)
    month = _month(request.args.get("monat"))
    rows = [(a, base64.b64encode(a.signature_png).decode()) for a in _month_rows(course, month)]
    return render_template("checkin/attendance.html", course=course, month=month, rows=rows)


@bp.get("/<int:course_id>/anwesenheit.csv")
@requires(Permission.CHECK_IN)
def attendance_csv(course_id: int):
    course = get_in_group_or_404(Course, course_id)
    month = _month(request.args.get("monat"))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Datum", "Uhrzeit", "Teilnehmer", "Geburtsdatum", "Springer", "Grund", "Verordnung"])
    for a in _month_rows(course, month):
        writer.writerow([a.session.day.strftime("%d.%m.%Y"), a.session.start_time.strftime("%H:%M"),
                         a.participant.full_name, a.participant.birth_date.strftime("%d.%m.%Y"),
                         "ja" if a.springer else "nein", a.springer_reason or a.extra_reason or "",
                         a.prescription.payer])
    filename = f"anwesenheit-{course.id}-{month:%Y-%m}.csv"
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
