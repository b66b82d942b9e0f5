from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.models import User
from ..auth.permissions import Permission, get_in_group_or_404, requires
from ..extensions import db, htmx
from ..schedule.forms import ConfirmForm
from .forms import UserForm
from .services import create_user, email_taken, set_user_active

bp = Blueprint("users", __name__, url_prefix="/benutzer")


def _render(form=None, status=200, message=None, category="success"):
    users = db.session.scalars(
        select(User).where(User.group_id == current_user.group_id).order_by(User.email)
    ).all()
    context = {
        "users": users,
        "form": form or UserForm(formdata=None),
        "confirm_form": ConfirmForm(),
        "message": message,
        "category": category,
    }
    template = "users/_users.html" if htmx else "users/index.html"
    return render_template(template, **context), status


def _done(message: str, category: str = "success"):
    if htmx:
        return _render(message=message, category=category)
    flash(message, category)
    return redirect(url_for(".index"))


@bp.get("")
@requires(Permission.MANAGE_USERS)
def index():
    return _render()


@bp.post("")
@requires(Permission.MANAGE_USERS)
def create():
    form = UserForm()
    if form.validate_on_submit() and email_taken(form.email.data):
        form.email.errors.append(_("Für diese E-Mail-Adresse gibt es bereits einen Zugang."))
    elif form.validate_on_submit():
        user = create_user(form.email.data, form.role.data, form.password.data, current_user.group_id)
        db.session.commit()
        return _done(_("Zugang für %(email)s angelegt.", email=user.email))
    return _render(form=form, status=422)


@bp.post("/<int:user_id>/<any(aktivieren, deaktivieren):action>")
@requires(Permission.MANAGE_USERS)
def set_active(user_id: int, action: str):
    user = get_in_group_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        return _done(_("Sie können Ihren eigenen Zugang nicht deaktivieren."), "error")
    set_user_active(user, action == "aktivieren")
    db.session.commit()
    message = _("%(email)s ist wieder aktiv.", email=user.email) if user.active else _(
        "%(email)s wurde deaktiviert und kann sich nicht mehr anmelden.", email=user.email
    )
    return _done(message)
