from flask import Blueprint, current_app, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.permissions import Permission, get_or_404, requires
from ..calendars.queries import failing_calendars
from ..codes.status import status_for
from ..devices.services import devices_of
from ..extensions import db, htmx
from ..forms import ConfirmForm, confirmed_or_400
from ..readiness import checklist
from ..signals import database_requested
from ..tenancy import PracticeGroup, Therapist
from ..web import done, page_or_fragment, push_url
from .forms import TherapistForm, WithdrawForm
from .onboarding import onboarding_steps
from .queries import ListParams, list_therapists, new_rows, therapist_row
from .services import create_therapist, update_therapist, withdraw_authorisation

bp = Blueprint("therapists", __name__, url_prefix="/therapeuten")
NEW_KEPT = 5  # the therapists this browser created last, offered their next steps in the list


def _new_ids() -> list[int]:
    return [i for i in session.get("new_therapists", []) if isinstance(i, int)]


def _group() -> PracticeGroup:
    """The signed-in user's group; the session loader brought its practices and licences along."""
    return current_user.group


def _dialog(form: TherapistForm, therapist: Therapist | None, status: int = 200, withdraw_form=None,
            step: str | None = None):
    context = {"form": form, "therapist": therapist, "step": step}
    if therapist is not None:
        context.update(code=status_for(therapist.id), devices=devices_of(therapist.id), confirm_form=ConfirmForm(),
                       withdraw_form=withdraw_form or WithdrawForm(formdata=None), checks=checklist(therapist),
                       calendar_problems=failing_calendars(therapist.id))
    return page_or_fragment("therapists/edit_page.html", "therapists/_dialog.html", status, **context)


def _saved(message: str, category: str, therapist: Therapist | None = None):
    """After a save: the message and (for a known row) the new row, swapped in by htmx; else a redirect."""
    if not htmx:
        return done(message, category, url_for(".index"))
    # a new row (not on the page yet) or one offered its next steps: the whole table refreshes
    headers = {} if therapist and therapist.id not in _new_ids() else {"HX-Trigger": "therapists-changed"}
    return render_template("therapists/_saved.html", message=message, category=category,
                           row=therapist_row(therapist) if therapist else None, new_ids=_new_ids(),
                           licences_ok=therapist.group.app_licences_ok() if therapist else True), 200, headers


@bp.get("")
@requires(Permission.VIEW_THERAPISTS)
def index():
    params = ListParams.from_request()
    group = _group()
    page = list_therapists(group.id, params, current_app.config["THERAPISTS_PER_PAGE"])
    new_ids = _new_ids()
    context = {"page": page, "params": params, "practices": group.practices, "licences_ok": group.app_licences_ok(),
               "new_rows": new_rows(group.id, new_ids), "new_ids": new_ids}
    if htmx and not htmx.history_restore_request and htmx.target == "therapist-table":
        # a filter, sort or page link pushes the canonical URL; the table's own refresh does not
        headers = push_url(".index", **params.as_args()) if htmx.trigger != "therapist-table" else {}
        return render_template("therapists/_table.html", **context), 200, headers
    return render_template("therapists/index.html", onboarding=onboarding_steps(group), **context)


@bp.get("/neu")
@requires(Permission.EDIT_THERAPISTS)
def new():
    return _dialog(TherapistForm(group=_group()), None)


@bp.post("")
@requires(Permission.EDIT_THERAPISTS)
def create():
    form = TherapistForm(group=_group())
    if not form.validate_on_submit():
        return _dialog(form, None, 422)
    result = create_therapist(current_user.group_id, form.to_data(), actor=current_user)
    db.session.commit()
    session["new_therapists"] = [result.therapist.id, *_new_ids()][:NEW_KEPT]
    message, category = result.report(_("%(name)s wurde angelegt.", name=result.therapist.full_name))
    return _saved(message, category)


@bp.get("/<int:therapist_id>")
@requires(Permission.VIEW_THERAPISTS)
def edit(therapist_id: int):
    therapist = get_or_404(Therapist, therapist_id)
    step = "app" if request.args.get("schritt") == "app" else None  # a new therapist's next step: "App aktivieren"
    return _dialog(TherapistForm.of(_group(), therapist, formdata=None), therapist, step=step)


@bp.post("/<int:therapist_id>")
@requires(Permission.EDIT_THERAPISTS)
def update(therapist_id: int):
    therapist = get_or_404(Therapist, therapist_id)
    form = TherapistForm(group=_group(), therapist=therapist)
    if not form.validate_on_submit():
        return _dialog(form, therapist, 422)
    result = update_therapist(therapist, form.to_data(), actor=current_user)
    db.session.commit()
    saved = (_("Änderungen an %(name)s gespeichert.", name=therapist.full_name) if result.changes
             else _("Keine Änderungen an %(name)s.", name=therapist.full_name))
    return _saved(*result.report(saved), therapist)


@bp.post("/<int:therapist_id>/entziehen")
@requires(Permission.WITHDRAW_AUTHORISATION)
def withdraw(therapist_id: int):
    """A chef withdraws the authorisation of a therapist of their group (as support can for any)."""
    therapist = get_or_404(Therapist, therapist_id)
    withdraw_form = WithdrawForm()
    if not withdraw_form.validate_on_submit():
        return _dialog(TherapistForm.of(_group(), therapist, formdata=None), therapist, 422, withdraw_form)
    withdrawal = withdraw_authorisation(therapist, withdraw_form.reason.data, current_user)
    db.session.commit()
    return _saved(withdrawal.message, "success", therapist)


@bp.get("/<int:therapist_id>/checkliste")
@requires(Permission.VIEW_THERAPISTS)
def checklist_view(therapist_id: int):
    therapist = get_or_404(Therapist, therapist_id)
    return render_template("therapists/_checklist.html", therapist=therapist, checks=checklist(therapist))


@bp.post("/<int:therapist_id>/datenbank")
@requires(Permission.EDIT_THERAPISTS)
def generate_database(therapist_id: int):
    """The checklist's fix: (re)generate this therapist's database now."""
    therapist = get_or_404(Therapist, therapist_id)
    confirmed_or_400()
    database_requested.send(therapist_ids=[therapist.id])
    db.session.commit()
    message = _("Die Therapeuten-Datenbank wird erzeugt.") if therapist.app_enabled else _(
        "Die Datenbank wird erzeugt, sobald „App aktivieren“ gesetzt ist.")
    return render_template("therapists/_checklist.html", therapist=therapist, checks=checklist(therapist),
                           checklist_message=message)
