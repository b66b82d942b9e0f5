from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.permissions import Permission, get_or_404, requires
from ..extensions import db
from ..forms import ConfirmForm, confirmed_or_400
from ..tenancy import LicenceKind, Practice, PracticeGroup
from ..web import page_or_fragment, redirect_unless_htmx
from .forms import PracticeForm
from .services import PRACTICE_FIELDS, PracticeInUse, add_practice, delete_practice, update_practice

bp = Blueprint("groups", __name__, url_prefix="/praxisgruppe")


@redirect_unless_htmx(".index")
def _render(add_form=None, edit_form=None, edit_id=None, status=200, *, message=None, category="success"):
    """The practices section (htmx) or the page; after a plain form post, a redirect with the message."""
    group = db.session.get(PracticeGroup, current_user.group_id)
    return page_or_fragment(
        "groups/index.html", "groups/_practices.html", status, group=group,
        licence_rows=[(kind, group.licence(kind)) for kind in LicenceKind],
        add_form=add_form or PracticeForm(formdata=None, group_id=group.id), edit_form=edit_form, edit_id=edit_id,
        confirm_form=ConfirmForm(), message=message, category=category)


def _changed(message: str):
    """After a change: committed, then the section with the message (a redirect after a plain post)."""
    db.session.commit()
    return _render(message=message)


def _fields(form: PracticeForm) -> dict[str, str]:
    """What the form sent: a form from before a field existed (open in a tab) leaves that field as it is."""
    return {key: form[key].data for key in PRACTICE_FIELDS if key in request.form}


@bp.get("")
@requires(Permission.VIEW_GROUP)
def index():
    return _render()


@bp.post("/praxen")
@requires(Permission.MANAGE_PRACTICES)
def create_practice():
    form = PracticeForm(group_id=current_user.group_id)
    if not form.validate_on_submit():
        return _render(add_form=form, status=422)
    practice = add_practice(current_user.group_id, **_fields(form))
    return _changed(_("Praxis „%(name)s“ angelegt.", name=practice.name))


@bp.get("/praxen/<int:practice_id>/bearbeiten")
@requires(Permission.MANAGE_PRACTICES)
def edit_practice(practice_id: int):
    practice = get_or_404(Practice, practice_id)
    return _render(edit_form=PracticeForm(obj=practice, group_id=practice.group_id, practice_id=practice.id),
                   edit_id=practice.id)


@bp.post("/praxen/<int:practice_id>")
@requires(Permission.MANAGE_PRACTICES)
def update_practice_view(practice_id: int):
    practice = get_or_404(Practice, practice_id)
    form = PracticeForm(group_id=practice.group_id, practice_id=practice.id)
    if not form.validate_on_submit():
        return _render(edit_form=form, edit_id=practice.id, status=422)
    update_practice(practice, **_fields(form))
    return _changed(_("Praxis „%(name)s“ gespeichert.", name=practice.name))


@bp.post("/praxen/<int:practice_id>/loeschen")
@requires(Permission.MANAGE_PRACTICES)
def delete_practice_view(practice_id: int):
    practice = get_or_404(Practice, practice_id)
    confirmed_or_400()
    try:
        delete_practice(practice)
    except PracticeInUse:
        db.session.rollback()
        return _render(message=_("„%(name)s“ kann nicht gelöscht werden: Ihr sind noch Therapeuten, Termine oder Kurse "
                       "zugeordnet.", name=practice.name), category="error")
    return _changed(_("Praxis „%(name)s“ gelöscht.", name=practice.name))
