"""The second factor: the gate that sends a user whose required second factor is missing to its
setup, the page to set it up or change it, and what removing any second factor asks first."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...auth import second_factor
from ...auth.permissions import Permission, requires
from ...extensions import htmx
from ..forms import PasswordConfirmForm
from .blueprint import bp

# what a user whose second factor is required but missing may still reach
SETUP_ENDPOINTS = {"account.second_factor_page", "account.totp_setup", "account.passkey_options",
                   "account.passkey_add", "auth.logout", "auth.set_language", "static"}


@bp.before_app_request
def second_factor_first():
    """Support, and a group whose chef requires it: no second factor, no portal, only its setup."""
    if request.endpoint in SETUP_ENDPOINTS or (request.blueprint or "") in ("help", "api", "terminal", "webhooks"):
        return None
    if current_user.is_authenticated and current_user.second_factor_required and not current_user.has_second_factor:
        target = url_for("account.second_factor_page")
        if htmx:
            return "", 204, {"HX-Redirect": target}
        flash(_("Bitte richten Sie zuerst einen zweiten Faktor ein. Ohne ihn ist Ihr Zugang gesperrt."), "warning")
        return redirect(target)
    return None


@bp.get("/konto/zweiter-faktor")
@requires(Permission.OWN_ACCOUNT)
def second_factor_page():
    """Set up or change the second factor; where a required but missing one sends the user."""
    return render_template("accounts/second_factor.html", confirm_form=PasswordConfirmForm(formdata=None),
                           recovery_left=second_factor.recovery_codes_left(current_user))


def confirmed() -> PasswordConfirmForm | None:
    """The password form of a second-factor change, if the password is right (else None, with errors)."""
    form = PasswordConfirmForm()
    if form.validate_on_submit() and current_user.check_password(form.password.data):
        return form
    if form.password.data:
        form.password.errors.append(_("Das Passwort stimmt nicht."))
    return None


def refuse_removal():
    """Back to the second factor's page: the account needs one, and this is its last."""
    flash(_("Ihr Zugang braucht einen zweiten Faktor. Richten Sie zuerst einen anderen ein (etwa einen Passkey), "
            "dann können Sie diesen entfernen."), "error")
    return redirect(url_for(".second_factor_page"))
