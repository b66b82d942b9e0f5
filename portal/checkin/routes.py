"""Check-in in the portal: today's courses, participants and prescriptions, terminals, monthly lists."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from ..auth.permissions import Permission, get_or_404, requires
from ..errors import render_error
from ..extensions import db, htmx
from ..forms import ConfirmForm
from ..groups.models import LicenceKind, PracticeGroup
from ..i18n import N_, date_filter, translate
from ..schedule.models import Course
from ..timeutil import EARLIEST_DAY, today_berlin
from ..web import arg_day, arg_id, arg_month, csv_download, done, ignored_arguments, page_or_fragment, parse_id
from . import importer, offline, pdfs, privacy
from .forms import (
    CancelForm,
    CheckInForm,
    LateCheckInForm,
    MembershipForm,
    MoveForm,
    ParticipantForm,
    PrescriptionEditForm,
    PrescriptionForm,
    ResolveForm,
    TerminalForm,
)
from .models import Attendance, CourseMember, CourseSession, OfflineCheckIn, Participant, Prescription, Terminal
from .services import (
    ACTIVE,
    CheckInRefused,
    add_membership,
    add_prescription,
    cancel_attendance,
    check_in,
    courses_on,
    create_participant,
    day_overview,
    decode_signature,
    look_ahead,
    move_attendance,
    participants_of,
    remaining_units,
    update_participant,
    update_prescription,
)
from .terminal import pairing

bp = Blueprint("checkin", __name__, url_prefix="/kurse")
RECENT_ATTENDANCES = 30  # on a participant's page; the monthly lists and the Datenauskunft have all


# --- today's courses and the manual check-in --------------------------------------------------------

def _day_page(day: date, status: int = 200, message: str | None = None, category: str = "success", form=None,
              open_course: int | None = None, open_item: int | None = None, open_action: str | None = None,
              needs=(), refusal: str | None = None):
    """The courses of a day with who is expected and who came, each with a check-in in the portal
    (another day's is a "Nachtrag" with its reason); today's page also lists "Zu klären". After a
    refused check-in its course's form stays open with what was entered and the reasons the rules
    ask for; after a refused resolution of a "Zu klären" item the message and what was typed stay
    at the item."""
    today = day == today_berlin()
    if message and not htmx and open_course is None and open_item is None:
        return done(message, category, url_for(".today") if today else url_for(".day_page", datum=day.isoformat()))
    blank = CheckInForm(formdata=None) if today else LateCheckInForm(formdata=None)
    return page_or_fragment("checkin/today.html", "checkin/_today.html", status, day=day, today=today,
                            sessions=day_overview(current_user.group_id, day),
                            participants=[p for p in participants_of(current_user.group_id) if p.restricted_at is None],
                            blank=blank, form=form, open_course=open_course, needs=needs, refusal=refusal,
                            today_iso=today_berlin().isoformat(), previous_day=day - timedelta(days=1),
                            next_day=day + timedelta(days=1),
                            message=message, category=category,
                            to_clarify=offline.open_items(current_user.group_id) if today else [],
                            open_item=open_item, open_action=open_action,
                            resolve_form=ResolveForm(formdata=None), signature_of=offline.signature_base64)


def _today(*args, **kwargs):
    return _day_page(today_berlin(), *args, **kwargs)


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
    if parse_id(form.participant_id.data) is None:
        return _day_page(day, 422, _("Bitte wählen Sie eine Person."), "error", form, course.id)
    person = get_or_404(Participant, form.participant_id.data)
    if not form.validate():
        return _day_page(day, 422, _("Bitte prüfen Sie die Angaben."), "error", form, course.id)
    try:
        result = check_in(person, course, day, decode_signature(form.signature.data or ""),
                          springer_reason=form.springer_reason.data, extra_reason=form.extra_reason.data,
                          late_reason=form.data.get("late_reason"), user=current_user)
    except CheckInRefused as refused:
        db.session.rollback()
        return _day_page(day, 422, refused.message, "error", form, course.id, needs=[refused.need] if refused.need
                         else [])
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
    item = get_or_404(OfflineCheckIn, item_id)
    form = ResolveForm()
    if not form.validate():
        return _today(422, _("Bitte prüfen Sie die Angaben."), "error", form, open_item=item.id, open_action=action)
    name = item.participant.full_name
    try:
        if action == "uebernehmen":
            offline.accept(item, current_user, springer_reason=form.springer_reason.data,
                           extra_reason=form.extra_reason.data)
        else:
            offline.discard(item, current_user, form.note.data)
    except CheckInRefused as refused:
        db.session.rollback()
        if action == "uebernehmen" and refused.need and item.need != refused.need:
            item.need = refused.need  # the reason the rules ask for now (a third check-in in the week …)
            db.session.commit()
        return _today(422, refused.message, "error", form, open_item=item.id, open_action=action)
    db.session.commit()
    if action == "uebernehmen":
        return _today(message=_("Der Check-in von %(name)s ist als Teilnahme übernommen.", name=name))
    return _today(message=_("Der Check-in von %(name)s wird nicht gezählt.", name=name))


# --- corrections of a check-in -------------------------------------------------------------------------

def _other_courses(attendance: Attendance) -> list[Course]:
    """The sessions a check-in can move to: the other courses of its day."""
    session = attendance.session
    return [c for c in courses_on(attendance.group_id, session.day) if c.id != session.course_id]


def _correction_page(attendance: Attendance, cancel_form=None, move_form=None, status: int = 200,
                     error: str | None = None):
    others = _other_courses(attendance)
    back, back_label = _listed_at(attendance)
    return render_template("checkin/attendance_detail.html", attendance=attendance, error=error,
                           signature=base64.b64encode(attendance.signature_png).decode(),
                           back=back, back_label=back_label,
                           cancel_form=cancel_form or CancelForm(formdata=None),
                           move_form=move_form or MoveForm(formdata=None, courses=others)), status


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


# --- participants and prescriptions ---------------------------------------------------------------

def _participants(form=None, status: int = 200, message: str | None = None):
    if message and not htmx:
        return done(message, "success", url_for(".participants"))
    return page_or_fragment("checkin/participants.html", "checkin/_participants.html", status,
                            participants=participants_of(current_user.group_id), message=message,
                            form=form or ParticipantForm(formdata=None, group_id=current_user.group_id))


@bp.get("/teilnehmer")
@requires(Permission.CHECK_IN)
def participants():
    return _participants()


@bp.post("/teilnehmer")
@requires(Permission.CHECK_IN)
def create_participant_view():
    form = ParticipantForm(group_id=current_user.group_id)
    if not form.validate_on_submit():
        return _participants(form, 422)
    person = create_participant(current_user.group_id, form.first_name.data, form.last_name.data,
                                form.birth_date.data, form.chip_id.data, current_user)
    db.session.commit()
    return _participants(message=_("%(name)s ist angelegt.", name=person.full_name))


def _participant(person: Participant, prescription_form=None, membership_form=None, status: int = 200,
                 message: str | None = None):
    if message and not htmx:
        return done(message, "success", url_for(".participant", participant_id=person.id))
    courses = db.session.scalars(select(Course).where(Course.group_id == person.group_id)
                                 .order_by(Course.weekday, Course.start_time)).all()
    member_ids = set(db.session.scalars(select(CourseMember.course_id)
                                        .where(CourseMember.participant_id == person.id)))
    attendances = db.session.scalars(select(Attendance).join(CourseSession, CourseSession.id == Attendance.session_id)
                                     .where(Attendance.participant_id == person.id)
                                     .order_by(CourseSession.day.desc(), CourseSession.start_time.desc())
                                     .limit(RECENT_ATTENDANCES)).all()
    return page_or_fragment(
        "checkin/participant.html", "checkin/_participant.html", status, participant=person, message=message,
        prescriptions=[(p, remaining_units(p)) for p in person.prescriptions],
        memberships=[c for c in courses if c.id in member_ids], attendances=attendances,
        prescription_form=prescription_form or PrescriptionForm(
            formdata=None, kinds=[c.kind for c in courses if c.id in member_ids]),
        membership_form=membership_form or MembershipForm(formdata=None,
                                                          courses=[c for c in courses if c.id not in member_ids]))


def _restricted(person: Participant):
    """What a restricted person (Art. 18 DSGVO) can no longer get: prescriptions, groups, a chip."""
    message = _("Die Verarbeitung der Daten von %(name)s ist eingeschränkt (Art. 18 DSGVO): keine neuen "
                "Verordnungen, Gruppen oder Chips.", name=person.full_name)
    if htmx:
        return _participant(person, status=422, message=message)
    return done(message, "error", url_for(".participant", participant_id=person.id))


@bp.get("/teilnehmer/<int:participant_id>")
@requires(Permission.CHECK_IN)
def participant(participant_id: int):
    return _participant(get_or_404(Participant, participant_id))


@bp.post("/teilnehmer/<int:participant_id>/verordnungen")
@requires(Permission.CHECK_IN)
def add_prescription_view(participant_id: int):
    person = get_or_404(Participant, participant_id)
    if person.restricted_at is not None:
        return _restricted(person)
    form = PrescriptionForm()
    if not form.validate_on_submit():
        return _participant(person, prescription_form=form, status=422)
    units, months = form.terms()
    add_prescription(person, form.kind.data, units, months, form.payer.data, current_user, **form.payer_details())
    db.session.commit()
    return _participant(person, message=_("Die Verordnung ist gespeichert."))


@bp.route("/teilnehmer/<int:participant_id>/bearbeiten", methods=["GET", "POST"])
@requires(Permission.CHECK_IN)
def edit_participant(participant_id: int):
    """Correct name, date of birth or chip."""
    person = get_or_404(Participant, participant_id)
    form = ParticipantForm(obj=person, group_id=person.group_id, participant_id=person.id)
    if person.restricted_at is not None and form.chip_id.data:
        form.chip_id.errors = [_("Bei eingeschränkter Verarbeitung wird kein Chip hinterlegt.")]
        return render_template("checkin/participant_edit.html", participant=person, form=form), 422
    if not form.validate_on_submit():
        return render_template("checkin/participant_edit.html", participant=person, form=form), \
            422 if request.method == "POST" else 200
    changed = update_participant(person, current_user, first_name=form.first_name.data,
                                 last_name=form.last_name.data, birth_date=form.birth_date.data,
                                 chip_id=form.chip_id.data or None)
    db.session.commit()
    return done(_("Die Angaben sind gespeichert.") if changed else _("Es wurde nichts geändert."), "success",
                url_for(".participant", participant_id=person.id))


@bp.route("/verordnungen/<int:prescription_id>/bearbeiten", methods=["GET", "POST"])
@requires(Permission.CHECK_IN)
def edit_prescription(prescription_id: int):
    """Correct the approved units, the validity or the payer (never below what was already taken)."""
    prescription = get_or_404(Prescription, prescription_id)
    form = PrescriptionEditForm(obj=prescription)
    error = None
    if form.validate_on_submit():
        try:
            changed = update_prescription(prescription, current_user, units_approved=form.units_approved.data,
                                          valid_months=form.valid_months.data, payer=form.payer.data,
                                          **form.payer_details())
        except CheckInRefused as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
            return done(_("Die Verordnung ist gespeichert.") if changed else _("Es wurde nichts geändert."),
                        "success", url_for(".participant", participant_id=prescription.participant_id))
    return render_template("checkin/prescription_edit.html", prescription=prescription, form=form, error=error,
                           remaining=remaining_units(prescription)), 422 if request.method == "POST" else 200


@bp.post("/teilnehmer/<int:participant_id>/gruppen")
@requires(Permission.CHECK_IN)
def add_membership_view(participant_id: int):
    person = get_or_404(Participant, participant_id)
    if person.restricted_at is not None:
        return _restricted(person)
    form = MembershipForm(courses=db.session.scalars(select(Course).where(Course.group_id == person.group_id)).all())
    if not form.validate_on_submit():
        return _participant(person, membership_form=form, status=422)
    course = get_or_404(Course, form.course_id.data)
    add_membership(person, course, current_user)
    db.session.commit()
    return _participant(person, message=_("%(name)s gehört jetzt zur Gruppe „%(course)s“.", name=person.full_name,
                                          course=course.name))


# --- terminals ----------------------------------------------------------------------------------

def _terminals(form=None, status: int = 200, pairing_shown=None, message: str | None = None):
    group = db.session.get(PracticeGroup, current_user.group_id)
    items = db.session.scalars(select(Terminal).where(Terminal.group_id == group.id).order_by(Terminal.id)).all()
    return page_or_fragment("checkin/terminals.html", "checkin/_terminals.html", status, terminals=items,
                            form=form or TerminalForm(formdata=None, group_id=group.id), pairing=pairing_shown,
                            licensed=group.has_licence(LicenceKind.CHECKIN), confirm_form=ConfirmForm(),
                            message=message)


@bp.get("/terminals")
@requires(Permission.MANAGE_TERMINALS)
def terminal_list():
    return _terminals()


@bp.post("/terminals")
@requires(Permission.MANAGE_TERMINALS)
def register_terminal():
    """"Terminal hinzufügen": name and id; the pairing code and QR code are shown once."""
    group = db.session.get(PracticeGroup, current_user.group_id)
    form = TerminalForm(group_id=group.id)
    if not group.has_licence(LicenceKind.CHECKIN):
        return _terminals(form, 422)
    if not form.validate_on_submit():
        return _terminals(form, 422)
    terminal, shown = pairing.register(group.id, form.name.data, form.key.data, current_user)
    db.session.commit()
    return _terminals(pairing_shown=shown, message=_("Terminal „%(name)s“ ist registriert.", name=terminal.name))


@bp.post("/terminals/<int:terminal_id>/<any(sperren, koppeln):action>")
@requires(Permission.MANAGE_TERMINALS)
def terminal_action(terminal_id: int, action: str):
    terminal = get_or_404(Terminal, terminal_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if action == "sperren":
        pairing.revoke(terminal, current_user)
        db.session.commit()
        return _terminals(message=_("Terminal „%(name)s“ ist gesperrt.", name=terminal.name))
    locked = terminal.revoked_at is not None
    shown = pairing.reopen(terminal, current_user) if locked else pairing.new_pairing(terminal)
    db.session.commit()
    return _terminals(pairing_shown=shown, message=_("Terminal „%(name)s“ ist wieder freigegeben; koppeln Sie es mit "
                                                     "dem neuen Code.", name=terminal.name) if locked else None)


# --- monthly attendance lists ------------------------------------------------------------------------

def _month() -> date:
    """The month of ?monat=YYYY-MM, else the current one (a month not understood is named on the page)."""
    return arg_month("monat", translate(N_("Monat"))) or today_berlin().replace(day=1)


def _month_rows(course: Course, month: date, *, with_cancelled: bool = False):
    """The month's check-ins of the course; the downloads leave cancelled ones out, the page strikes them through."""
    end = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    query = (select(Attendance).join(CourseSession, CourseSession.id == Attendance.session_id)
             .where(CourseSession.course_id == course.id, CourseSession.day >= month, CourseSession.day < end)
             .order_by(CourseSession.day, Attendance.checked_in_at))
    return db.session.scalars(query if with_cancelled else query.where(ACTIVE)).all()


def _courses() -> list[Course]:
    return db.session.scalars(select(Course).where(Course.group_id == current_user.group_id)
                              .order_by(Course.weekday, Course.start_time, Course.name)).all()


def _shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@bp.get("/anwesenheit")
@requires(Permission.CHECK_IN)
def attendance_index():
    """Every course group of the practice group, each with its attendance list of a month."""
    month = _month()
    return render_template("checkin/attendance_index.html", courses=_courses(), month=month)


@bp.get("/<int:course_id>/anwesenheit")
@requires(Permission.CHECK_IN)
def attendance_list(course_id: int):
    """The attendance list of a course group for a month, printable with the signatures; the page
    chooses another course or month, or steps a month back and forth."""
    course = get_or_404(Course, course_id)
    month = _month()
    rows = [(a, base64.b64encode(a.signature_png).decode()) for a in _month_rows(course, month, with_cancelled=True)]
    this_month = today_berlin().replace(day=1)
    return render_template("checkin/attendance.html", course=course, month=month, rows=rows, courses=_courses(),
                           previous=_shift(month, -1), following=_shift(month, 1) if month < this_month else None)


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


def _download_of(course_id: int):
    """The course and month of a list download, or the refusal when the month was not understood
    (a download cannot say what it left out)."""
    course, month = get_or_404(Course, course_id), _month()
    if ignored_arguments():
        return course, month, render_error(400, _(
            "Diesen Monat gibt es nicht. Bitte wählen Sie in der Anwesenheitsliste einen Monat und laden Sie die "
            "Liste dann herunter."))
    return course, month, None


@bp.get("/<int:course_id>/anwesenheit.csv")
@requires(Permission.CHECK_IN)
def attendance_csv(course_id: int):
    course, month, refusal = _download_of(course_id)
    if refusal:
        return refusal
    header = ["Datum", "Uhrzeit", "Teilnehmer", "Geburtsdatum", "Springer", "Grund", "Kostenträger"]
    return csv_download(f"anwesenheit-{course.id}-{month:%Y-%m}.csv", header, (
        [a.session.day.strftime("%d.%m.%Y"), a.session.start_time.strftime("%H:%M"), a.participant.full_name,
         a.participant.birth_date.strftime("%d.%m.%Y"), "ja" if a.springer else "nein",
         a.springer_reason or a.extra_reason or "", a.prescription.payer] for a in _month_rows(course, month)))


# --- billing proof as PDF ------------------------------------------------------------------------------

def _pdf(content: bytes, filename: str) -> Response:
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/verordnungen/<int:prescription_id>/teilnahmenachweis.pdf")
@requires(Permission.CHECK_IN)
def participation_proof_pdf(prescription_id: int):
    """The prescription's "Teilnahmenachweis" for the payer: every unit with its signature."""
    prescription = get_or_404(Prescription, prescription_id)
    attendances = db.session.scalars(
        select(Attendance).join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(Attendance.prescription_id == prescription.id, ACTIVE)
        .order_by(CourseSession.day, CourseSession.start_time, Attendance.id)).all()
    content = pdfs.participation_proof(prescription, attendances, current_user.group.name,
                                       remaining_units(prescription))
    return _pdf(content, f"teilnahmenachweis-{prescription.id}.pdf")


@bp.get("/<int:course_id>/anwesenheit.pdf")
@requires(Permission.CHECK_IN)
def attendance_pdf(course_id: int):
    course, month, refusal = _download_of(course_id)
    if refusal:
        return refusal
    content = pdfs.monthly_list(course, month, list(_month_rows(course, month)), current_user.group.name)
    return _pdf(content, f"anwesenheit-{course.id}-{month:%Y-%m}.pdf")


# --- a participant's data (DSGVO) --------------------------------------------------------------------

@bp.post("/teilnehmer/<int:participant_id>/datenauskunft")
@requires(Permission.PARTICIPANT_PRIVACY)
def data_export(participant_id: int):
    """Everything stored about the participant as JSON or PDF (a POST: the export is audited)."""
    person = get_or_404(Participant, participant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    fmt = request.form.get("format", "json")
    if fmt not in ("json", "pdf"):
        abort(400)
    data = privacy.export(person, current_user, fmt)
    db.session.commit()
    name = f"datenauskunft-teilnehmer-{person.id}.{fmt}"
    if fmt == "pdf":
        return _pdf(pdfs.data_export(data, current_user.group.name), name)
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.post("/teilnehmer/<int:participant_id>/loeschen")
@requires(Permission.PARTICIPANT_PRIVACY)
def erase_participant(participant_id: int):
    """Erasure on request; refused while the billing proof must be kept."""
    person = get_or_404(Participant, participant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("bestaetigt") != "ja":
        return done(_("Bitte bestätigen Sie das Löschen mit dem Häkchen."), "warning",
                    url_for(".participant", participant_id=person.id))
    name = person.full_name
    until = privacy.erase(person, current_user)
    if until is not None:
        db.session.commit()
        return done(_("%(name)s wird am %(date)s gelöscht, wenn die Aufbewahrungsfrist des Abrechnungsnachweises "
                      "endet; bis dahin ist die Verarbeitung eingeschränkt.", name=name, date=date_filter(until)),
                    "warning", url_for(".participant", participant_id=person.id))
    db.session.commit()
    return done(_("Die Daten von %(name)s sind gelöscht.", name=name), "success", url_for(".participants"))


# --- participants from a CSV file ---------------------------------------------------------------------

@bp.route("/teilnehmer/import", methods=["GET", "POST"])
@requires(Permission.CHECK_IN)
def import_participants():
    """Upload, then a preview with every line checked; saved only with "Importieren"."""
    form = ConfirmForm()
    if request.method == "GET":
        return render_template("checkin/import.html", form=form, preview=None, content="")
    if not form.validate_on_submit():
        abort(400)
    upload = request.files.get("datei")
    try:
        raw = upload.read(importer.MAX_BYTES + 1) if upload else base64.b64decode(request.form.get("inhalt", ""))
        preview = importer.read(raw, current_user.group_id)
    except (importer.ImportRefused, ValueError) as refused:
        message = str(refused) if isinstance(refused, importer.ImportRefused) else _("Die Datei ließ sich nicht lesen.")
        return render_template("checkin/import.html", form=form, preview=None, content="", error=message), 422
    if upload or request.form.get("importieren") != "ja":
        return render_template("checkin/import.html", form=form, preview=preview,
                               content=base64.b64encode(raw).decode())
    created = importer.save(preview, current_user.group_id, current_user)
    db.session.commit()
    return done(ngettext("%(num)s Teilnehmer importiert.", "%(num)s Teilnehmer importiert.", created),
                "success", url_for(".participants"))
