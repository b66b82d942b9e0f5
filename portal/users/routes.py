"""The group's portal users: invite by e-mail (nobody sets another person's password), re-send or
withdraw an invitation, (de)activate a user, require a second factor of everyone."""

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.forms import InvitationForm
from ..accounts.models import Invitation
from ..accounts.services import AccountRefused, invite, open_invitations, resend, users_of, withdraw
from ..auth.models import Role, User
from ..auth.permissions import Permission, get_or_404, requires
from ..extensions import db
from ..forms import ConfirmForm, confirmed_or_400
from ..tenancy import PracticeGroup
from ..timeutil import utcnow
from ..web import page_or_fragment, redirect_unless_htmx
from .forms import GroupSecurityForm
from .services import set_second_factor_required, set_user_active

bp = Blueprint("users", __name__, url_prefix="/benutzer")


@redirect_unless_htmx(".index")
def _render(form=None, status=200, *, message=None, category="success"):
    """The users section (htmx) or the page; after a plain form post, a redirect with the message."""
    group = db.session.get(PracticeGroup, current_user.group_id)
    users = users_of(group.id)
    invitations = open_invitations(group.id)
    return page_or_fragment("users/index.html", "users/_users.html", status, users=users, invitations=invitations,
                            group=group, form=form or InvitationForm(formdata=None),
                            security_form=GroupSecurityForm(formdata=None, obj=group),
                            confirm_form=ConfirmForm(), message=message, category=category, now=utcnow())


@bp.get("")
@requires(Permission.MANAGE_USERS)
def index():
    return _render()


@bp.post("/einladen")
@requires(Permission.MANAGE_USERS)
def invite_view():
    form = InvitationForm()
    if not form.validate_on_submit():
        return _render(form=form, status=422)
    group = db.session.get(PracticeGroup, current_user.group_id)
    try:
        invitation = invite(group, form.email.data, Role(form.role.data), current_user)
    except AccountRefused as refused:
        form.email.errors.append(str(refused))
        return _render(form=form, status=422)
    db.session.commit()
    return _render(message=_("Einladung an %(email)s ist unterwegs. Der Link darin gilt 72 Stunden.",
                             email=invitation.email))


@bp.get("/einladungen/<int:invitation_id>")
@requires(Permission.MANAGE_USERS)
def invitation_row(invitation_id: int):
    """One invitation's row, for its own polling: joined, its mail's way, its link's time."""
    return render_template("users/_invitation_row.html", invitation=get_or_404(Invitation, invitation_id),
                           now=utcnow())


@bp.post("/einladungen/<int:invitation_id>/<any(erneut, zurueckziehen):action>")
@requires(Permission.MANAGE_USERS)
def invitation_action(invitation_id: int, action: str):
    invitation = get_or_404(Invitation, invitation_id)
    confirmed_or_400()
    try:
        (resend if action == "erneut" else withdraw)(invitation, current_user)
    except AccountRefused as refused:
        return _render(message=str(refused), category="error")
    db.session.commit()
    if action == "erneut":
        return _render(message=_("Die Einladung an %(email)s wurde neu gesendet; der frühere Link gilt nicht mehr.",
                                 email=invitation.email))
    return _render(message=_("Die Einladung an %(email)s ist zurückgezogen.", email=invitation.email))


@bp.post("/<int:user_id>/<any(aktivieren, deaktivieren):action>")
@requires(Permission.MANAGE_USERS)
def set_active(user_id: int, action: str):
    user = get_or_404(User, user_id)
    confirmed_or_400()
    if user.id == current_user.id:
        return _render(message=_("Sie können Ihren eigenen Zugang nicht deaktivieren."), category="error")
    set_user_active(user, action == "aktivieren")
    db.session.commit()
    message = _("%(email)s ist wieder aktiv.", email=user.email) if user.active else _(
        "%(email)s wurde deaktiviert und sofort überall abgemeldet.", email=user.email
    )
    return _render(message=message)


@bp.post("/sicherheit")
@requires(Permission.MANAGE_USERS)
def security():
    """The chef requires (or no longer requires) a second factor of every user of the group."""
    form = confirmed_or_400(GroupSecurityForm())
    group = db.session.get(PracticeGroup, current_user.group_id)
    set_second_factor_required(group, bool(form.require_second_factor.data))
    db.session.commit()
    if group.require_second_factor:
        return _render(message=_("Ab sofort braucht jeder Benutzer der Praxisgruppe einen zweiten Faktor. Wer noch "
                                 "keinen hat, richtet ihn bei der nächsten Seite ein."))
    return _render(message=_("Der zweite Faktor ist für Ihre Praxisgruppe wieder freiwillig."))
