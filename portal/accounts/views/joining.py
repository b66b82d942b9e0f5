"""Joining a group by invitation: the invitation mail's link, a password, and signed in."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _

from ...auth import sessions, throttle
from ...auth.login import home_url_for
from ..forms import JoinForm
from ..models import AccountMail, MailKind
from ..services import accept
from .links import link_page, use_link


@link_page("/einladung", MailKind.INVITATION, lambda mail: mail.invitation.open)
def join(mail: AccountMail):
    """The invitation's page: choose a password, and be signed in."""
    invitation = mail.invitation
    form = JoinForm(email=invitation.email)
    if form.validate_on_submit():
        user, refusal = use_link(MailKind.INVITATION, accept, mail, form.name.data, form.password.data)
        if refusal is not None:
            return refusal
        sessions.start(user)
        flash(_("Willkommen! Ihr Zugang für „%(group)s“ ist eingerichtet.", group=invitation.group.name), "success")
        return throttle.remember_device(redirect(home_url_for(user)), user)
    return render_template("accounts/join.html", form=form, invitation=invitation), \
        200 if request.method == "GET" else 422
