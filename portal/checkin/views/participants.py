"""Participants and their prescriptions and course groups: the list, a person's page, and the
corrections of a person or a prescription."""

from __future__ import annotations

from functools import wraps

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...auth.permissions import Permission, get_or_404, requires
from ...extensions import db, htmx
from ...schedule.models import Course
from ...web import done, page_or_fragment, redirect_unless_htmx
from ..forms import MembershipForm, ParticipantForm, PrescriptionEditForm, PrescriptionForm
from ..models import Participant, Prescription
from ..queries import group_courses, membership_ids, recent_attendances
from ..records import (
    add_membership,
    add_prescription,
    create_participant,
    participants_of,
    update_participant,
    update_prescription,
)
from ..services import CheckInRefused, remaining_units
from .blueprint import bp


@redirect_unless_htmx(".participants")
def _participants(form=None, status: int = 200, *, message: str | None = None):
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


def _participant_url(person: Participant, **_kwargs) -> str:
    return url_for(".participant", participant_id=person.id)


@redirect_unless_htmx(_participant_url)
def _participant(person: Participant, *, prescription_form=None, membership_form=None, status: int = 200,
                 message: str | None = None):
    courses, member_ids = group_courses(person.group_id), membership_ids(person)
    return page_or_fragment(
        "checkin/participant.html", "checkin/_participant.html", status, participant=person, message=message,
        prescriptions=[(p, remaining_units(p)) for p in person.prescriptions],
        memberships=[c for c in courses if c.id in member_ids], attendances=recent_attendances(person),
        prescription_form=prescription_form or PrescriptionForm(
            formdata=None, kinds=[c.kind for c in courses if c.id in member_ids]),
        membership_form=membership_form or MembershipForm(formdata=None,
                                                          courses=[c for c in courses if c.id not in member_ids]))


def unrestricted_participant(view):
    """For what a person gets added (a prescription, a group): the participant of the URL, or,
    when processing is restricted (Art. 18 DSGVO), the refusal that names what they can no longer get."""

    @wraps(view)
    def wrapped(participant_id: int):
        person = get_or_404(Participant, participant_id)
        if not person.restricted:
            return view(person)
        message = _("Die Verarbeitung der Daten von %(name)s ist eingeschränkt (Art. 18 DSGVO): keine neuen "
                    "Verordnungen, Gruppen oder Chips.", name=person.full_name)
        if htmx:
            return _participant(person, status=422, message=message)
        return done(message, "error", _participant_url(person))

    return wrapped


@bp.get("/teilnehmer/<int:participant_id>")
@requires(Permission.CHECK_IN)
def participant(participant_id: int):
    return _participant(get_or_404(Participant, participant_id))


@bp.post("/teilnehmer/<int:participant_id>/verordnungen")
@requires(Permission.CHECK_IN)
@unrestricted_participant
def add_prescription_view(person: Participant):
    form = PrescriptionForm()
    if not form.validate_on_submit():
        return _participant(person, prescription_form=form, status=422)
    units, months = form.terms()
    add_prescription(person, form.kind.data, units, months, form.payer.data, current_user, **form.payer_details())
    db.session.commit()
    return _participant(person, message=_("Die Verordnung ist gespeichert."))


@bp.post("/teilnehmer/<int:participant_id>/gruppen")
@requires(Permission.CHECK_IN)
@unrestricted_participant
def add_membership_view(person: Participant):
    form = MembershipForm(courses=group_courses(person.group_id))
    if not form.validate_on_submit():
        return _participant(person, membership_form=form, status=422)
    course = get_or_404(Course, form.course_id.data)
    add_membership(person, course, current_user)
    db.session.commit()
    return _participant(person, message=_("%(name)s gehört jetzt zur Gruppe „%(course)s“.", name=person.full_name,
                                          course=course.name))


@bp.route("/teilnehmer/<int:participant_id>/bearbeiten", methods=["GET", "POST"])
@requires(Permission.CHECK_IN)
def edit_participant(participant_id: int):
    """Correct name, date of birth or chip (no chip while processing is restricted)."""
    person = get_or_404(Participant, participant_id)
    form = ParticipantForm(obj=person, group_id=person.group_id, participant_id=person.id)
    if person.restricted and form.chip_id.data:
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
                _participant_url(person))


@bp.route("/verordnungen/<int:prescription_id>/bearbeiten", methods=["GET", "POST"])
@requires(Permission.CHECK_IN)
def edit_prescription(prescription_id: int):
    """Correct the approved units, the validity or the payer (never below what was already taken)."""
    prescription = get_or_404(Prescription, prescription_id)
    form, error = PrescriptionEditForm(obj=prescription), None
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
