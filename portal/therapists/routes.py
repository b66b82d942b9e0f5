from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..appdb.services import mark_stale
from ..auth.permissions import Permission, get_in_group_or_404, requires
from ..codes.services import send_and_report, status_for
from ..devices.routes import devices_of
from ..extensions import db, htmx
from ..groups.models import PracticeGroup
from ..schedule.forms import ConfirmForm
from ..support.forms import WithdrawForm
from ..support.services import withdraw_authorisation
from .forms import TherapistForm
from .models import Therapist
from .onboarding import onboarding_steps
from .queries import ListParams, TherapistRow, list_therapists
from .readiness import checklist
from .services import create_therapist, update_therapist

bp = Blueprint("therapists", __name__, url_prefix="/therapeuten")


def _group() -> PracticeGroup:
    """The signed-in user's group with practices and licences, in one query."""
    return db.session.scalars(
        select(PracticeGroup)
        .where(PracticeGroup.id == current_user.group_id)
        .options(joinedload(PracticeGroup.practices), joinedload(PracticeGroup.licences))
    ).unique().one()


def _form(therapist: Therapist | None = None, **kwargs) -> TherapistForm:
    return TherapistForm(group=_group(), therapist=therapist, **kwargs)


def _render_dialog(form: TherapistForm, therapist: Therapist | None, status: int = 200, withdraw_form=None):
    context = {"form": form, "therapist": therapist}
    if therapist is not None:
        context["code"] = status_for(therapist.id)
        context["devices"] = devices_of(therapist.id)
        context["confirm_form"] = ConfirmForm()
        context["withdraw_form"] = withdraw_form or WithdrawForm(formdata=None)
        context["checks"] = checklist(therapist)
    template = "therapists/_dialog.html" if htmx else "therapists/edit_page.html"
    return render_template(template, **context), status


@bp.get("")
@requires(Permission.VIEW_THERAPISTS)
def index():
    params = ListParams.from_args(request.args)
    group = _group()
    page = list_therapists(group.id, params, current_app.config["THERAPISTS_PER_PAGE"])
    context = {
        "page": page,
        "params": params,
        "practices": group.practices,
        "licences_ok": group.app_licences_ok(),
    }
    if not htmx or htmx.history_restore_request:
        context["onboarding"] = onboarding_steps(group)
    if htmx and not htmx.history_restore_request and htmx.target == "therapist-table":
        headers = {}
        if htmx.trigger != "therapist-table":  # a filter, sort or page link: push the canonical URL
            headers["HX-Push-Url"] = url_for(".index", **params.as_args())
        return render_template("therapists/_table.html", **context), 200, headers
    return render_template("therapists/index.html", **context)


@bp.get("/neu")
@requires(Permission.EDIT_THERAPISTS)
def new():
    return _render_dialog(_form(), None)


@bp.post("")
@requires(Permission.EDIT_THERAPISTS)
def create():
    form = _form()
    if not form.validate_on_submit():
        return _render_dialog(form, None, 422)
    result = create_therapist(current_user.group_id, form.to_data(), actor=current_user)
    db.session.commit()
    message, category = _with_code(_("%(name)s wurde angelegt.", name=result.therapist.full_name), result)
    if htmx:
        return render_template("therapists/_saved.html", message=message, category=category), 200, {
            "HX-Trigger": "therapists-changed"
        }
    flash(message, category)
    return redirect(url_for(".index"))


@bp.get("/<int:therapist_id>")
@requires(Permission.VIEW_THERAPISTS)
def edit(therapist_id: int):
    therapist = get_in_group_or_404(Therapist, therapist_id)
    form = _form(therapist, data={
        "first_name": therapist.first_name, "last_name": therapist.last_name, "email": therapist.email,
        "practices": [p.id for p in therapist.practices], "app_enabled": therapist.app_enabled,
    })
    return _render_dialog(form, therapist)


@bp.post("/<int:therapist_id>")
@requires(Permission.EDIT_THERAPISTS)
def update(therapist_id: int):
    therapist = get_in_group_or_404(Therapist, therapist_id)
    form = _form(therapist)
    if not form.validate_on_submit():
        return _render_dialog(form, therapist, 422)
    result = update_therapist(therapist, form.to_data(), actor=current_user)
    db.session.commit()
    saved = (_("Änderungen an %(name)s gespeichert.", name=therapist.full_name) if result.changes
             else _("Keine Änderungen an %(name)s.", name=therapist.full_name))
    message, category = _with_code(saved, result)
    if htmx:
        return render_template("therapists/_saved.html", message=message, category=category,
                               row=TherapistRow.of(therapist), licences_ok=therapist.group.app_licences_ok())
    flash(message, category)
    return redirect(url_for(".index"))


def _with_code(message: str, result) -> tuple[str, str]:
    """Send a code the save requested (after the commit) and add what happened to the message."""
    if result.code is None:
        return message, "success"
    outcome = send_and_report(result.code)
    return f"{message} {outcome.message}", outcome.category if outcome.category != "info" else "success"


@bp.post("/<int:therapist_id>/entziehen")
@requires(Permission.WITHDRAW_AUTHORISATION)
def withdraw(therapist_id: int):
    """A chef withdraws the authorisation of a therapist of their group (as support can for any)."""
    therapist = get_in_group_or_404(Therapist, therapist_id)
    withdraw_form = WithdrawForm()
    if not withdraw_form.validate_on_submit():
        form = _form(therapist, data={"first_name": therapist.first_name, "last_name": therapist.last_name,
                                      "email": therapist.email, "practices": [p.id for p in therapist.practices],
                                      "app_enabled": therapist.app_enabled})
        return _render_dialog(form, therapist, 422, withdraw_form=withdraw_form)
    summary = withdraw_authorisation(therapist, withdraw_form.reason.data, current_user)
    db.session.commit()
    message = _("Berechtigung von %(name)s entzogen: %(devices)s Gerät(e) abgemeldet, %(codes)s offene(r) Code(s) "
                "ungültig.", name=therapist.full_name, devices=summary["devices_revoked"],
                codes=summary["codes_voided"])
    if htmx:
        return render_template("therapists/_saved.html", message=message, category="success",
                               row=TherapistRow.of(therapist), licences_ok=therapist.group.app_licences_ok())
    flash(message, "success")
    return redirect(url_for(".index"))


@bp.get("/<int:therapist_id>/checkliste")
@requires(Permission.VIEW_THERAPISTS)
def checklist_view(therapist_id: int):
    therapist = get_in_group_or_404(Therapist, therapist_id)
    return render_template("therapists/_checklist.html", therapist=therapist, checks=checklist(therapist))


@bp.post("/<int:therapist_id>/datenbank")
@requires(Permission.EDIT_THERAPISTS)
def generate_database(therapist_id: int):
    """The checklist's fix: (re)generate this therapist's database now."""
    therapist = get_in_group_or_404(Therapist, therapist_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mark_stale([therapist.id])
    db.session.commit()
    message = _("Die Therapeuten-Datenbank wird erzeugt.") if therapist.app_enabled else _(
        "Die Datenbank wird erzeugt, sobald „App aktivieren“ gesetzt ist.")
    return render_template("therapists/_checklist.html", therapist=therapist, checks=checklist(therapist),
                           message=message)
