from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.permissions import Permission, get_in_group_or_404, requires
from ..extensions import db, htmx
from ..schedule.forms import ConfirmForm
from .forms import PracticeForm
from .models import LicenceKind, Practice, PracticeGroup
from .services import PracticeInUse, add_practice, delete_practice, name_taken, update_practice

bp = Blueprint("groups", __name__, url_prefix="/praxisgruppe")

LICENCE_LABELS = {
    LicenceKind.SYNC: "Synchronisierung",
    LicenceKind.APP: "Therapeuten-App",
    LicenceKind.CHECKIN: "Check-in-Terminal",
}


def _render(add_form=None, edit_form=None, edit_id=None, status=200, message=None, category="success"):
    group = db.session.get(PracticeGroup, current_user.group_id)
    context = {
        "group": group,
        "licence_rows": [(kind, LICENCE_LABELS[kind], group.licence(kind)) for kind in LicenceKind],
        "add_form": add_form or PracticeForm(formdata=None),
        "edit_form": edit_form,
        "edit_id": edit_id,
        "confirm_form": ConfirmForm(),
        "message": message,
        "category": category,
    }
    template = "groups/_practices.html" if htmx else "groups/index.html"
    return render_template(template, **context), status


def _done(message: str, category: str = "success"):
    if htmx:
        return _render(message=message, category=category)
    flash(message, category)
    return redirect(url_for(".index"))


@bp.get("")
@requires(Permission.VIEW_GROUP)
def index():
    return _render()


@bp.post("/praxen")
@requires(Permission.MANAGE_PRACTICES)
def create_practice():
    form = PracticeForm()
    if form.validate_on_submit() and name_taken(current_user.group_id, form.name.data):
        form.name.errors.append(_("Eine Praxis mit diesem Namen gibt es in Ihrer Praxisgruppe schon."))
    elif form.validate_on_submit():
        practice = add_practice(current_user.group_id, form.name.data, form.city.data)
        db.session.commit()
        return _done(_("Praxis „%(name)s“ angelegt.", name=practice.name))
    return _render(add_form=form, status=422)


@bp.get("/praxen/<int:practice_id>/bearbeiten")
@requires(Permission.MANAGE_PRACTICES)
def edit_practice(practice_id: int):
    practice = get_in_group_or_404(Practice, practice_id)
    return _render(edit_form=PracticeForm(obj=practice), edit_id=practice.id)


@bp.post("/praxen/<int:practice_id>")
@requires(Permission.MANAGE_PRACTICES)
def update_practice_view(practice_id: int):
    practice = get_in_group_or_404(Practice, practice_id)
    form = PracticeForm()
    if form.validate_on_submit() and name_taken(current_user.group_id, form.name.data, practice.id):
        form.name.errors.append(_("Eine Praxis mit diesem Namen gibt es in Ihrer Praxisgruppe schon."))
    elif form.validate_on_submit():
        update_practice(practice, form.name.data, form.city.data)
        db.session.commit()
        return _done(_("Praxis „%(name)s“ gespeichert.", name=practice.name))
    return _render(edit_form=form, edit_id=practice.id, status=422)


@bp.post("/praxen/<int:practice_id>/loeschen")
@requires(Permission.MANAGE_PRACTICES)
def delete_practice_view(practice_id: int):
    practice = get_in_group_or_404(Practice, practice_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        delete_practice(practice)
    except PracticeInUse:
        db.session.rollback()
        return _done(
            _("„%(name)s“ kann nicht gelöscht werden: Ihr sind noch Therapeuten, Termine oder Kurse zugeordnet.",
              name=practice.name),
            "error",
        )
    db.session.commit()
    return _done(_("Praxis „%(name)s“ gelöscht.", name=practice.name))
