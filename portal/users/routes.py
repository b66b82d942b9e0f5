from flask import Blueprint, abort, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.models import User
from ..auth.permissions import Permission, get_or_404, requires
from ..extensions import db, htmx
from ..forms import ConfirmForm
from ..web import done, page_or_fragment
from .forms import UserForm
from .services import create_user, set_user_active

bp = Blueprint("users", __name__, url_prefix="/benutzer")


def _render(form=None, status=200, message=None, category="success"):
    """The users section (htmx) or the page; after a plain form post, a redirect with the message."""
    if message and not htmx:
        return done(message, category, url_for(".index"))
    users = db.session.scalars(select(User).where(User.group_id == current_user.group_id).order_by(User.email)).all()
    return page_or_fragment("users/index.html", "users/_users.html", status, users=users,
                            form=form or UserForm(formdata=None), confirm_form=ConfirmForm(), message=message,
                            category=category)


@bp.get("")
@requires(Permission.MANAGE_USERS)
def index():
    return _render()


@bp.post("")
@requires(Permission.MANAGE_USERS)
def create():
    form = UserForm()
    if not form.validate_on_submit():
        return _render(form=form, status=422)
    user = create_user(form.email.data, form.role.data, form.password.data, current_user.group_id)
    db.session.commit()
    return _render(message=_("Zugang für %(email)s angelegt.", email=user.email))


@bp.post("/<int:user_id>/<any(aktivieren, deaktivieren):action>")
@requires(Permission.MANAGE_USERS)
def set_active(user_id: int, action: str):
    user = get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        return _render(message=_("Sie können Ihren eigenen Zugang nicht deaktivieren."), category="error")
    set_user_active(user, action == "aktivieren")
    db.session.commit()
    message = _("%(email)s ist wieder aktiv.", email=user.email) if user.active else _(
        "%(email)s wurde deaktiviert und kann sich nicht mehr anmelden.", email=user.email
    )
    return _render(message=message)
