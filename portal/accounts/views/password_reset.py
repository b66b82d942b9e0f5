""""Passwort vergessen?": a reset link by mail, and the link's page that sets a new password."""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ... import limits, url_secrets
from ...extensions import db, limiter
from ..forms import ForgotPasswordForm, NewPasswordForm
from ..models import AccountMail, MailKind
from ..services import request_reset, reset_password
from .blueprint import bp
from .links import link_page, use_link

SAME_TIME = 0.35  # seconds "Passwort vergessen?" takes whatever the address (no timing tells)


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@limiter.limit(limits.setting("RESET_REQUEST_LIMIT"), methods=["POST"])
@limiter.limit(limits.setting("RESET_ADDRESS_LIMIT"), methods=["POST"], key_func=limits.typed_address)
def forgot_password():
    """The same answer, in the same time, whether the address has an account or not. The address is
    looked up here: the job that sends the mail carries only the mail's id."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.monotonic()
        request_reset(form.email.data)
        db.session.commit()
        time.sleep(max(0.0, SAME_TIME - (time.monotonic() - started)))
        return render_template("accounts/forgot_sent.html", email=form.email.data)
    return render_template("accounts/forgot.html", form=form), 200 if request.method == "GET" else 422


@link_page("/passwort/neu", MailKind.RESET, lambda mail: mail.user is not None and mail.user.active)
def new_password(mail: AccountMail):
    """The reset link's page: a new password; every session of the account ends."""
    form = NewPasswordForm(email=mail.email)
    if form.validate_on_submit():
        _user, refusal = use_link(MailKind.RESET, reset_password, mail, form.password.data)
        if refusal is not None:
            return refusal
        url_secrets.pop(MailKind.RESET.value)
        flash(_("Ihr neues Passwort gilt. Alle Anmeldungen Ihres Zugangs wurden beendet; bitte melden Sie sich "
                "neu an."), "success")
        return redirect(url_for("auth.login"))
    return render_template("accounts/new_password.html", form=form, email=mail.email), \
        200 if request.method == "GET" else 422
