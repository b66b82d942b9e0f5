"""The authenticator app as second factor: set up or replaced (with the password, or a passkey
confirming it), removed, and its recovery codes made anew."""

from __future__ import annotations

import time

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import limits
from ...auth import passkeys, second_factor
from ...auth.permissions import Permission, requires
from ...extensions import db, limiter
from ...timeutil import utcnow
from ..forms import TotpForm
from ..services import second_factor_changed
from .blueprint import bp
from .second_factor import confirmed, refuse_removal

TOTP_SETUP = "totp_setup"  # the Flask session's key for a secret not yet confirmed by a code
PASSKEY_CONFIRMED = "totp_replace_confirmed_at"  # when a passkey confirmed replacing the app
PASSKEY_CONFIRMATION_SECONDS = 5 * 60


@bp.route("/konto/zweiter-faktor/app", methods=["GET", "POST"])
@requires(Permission.OWN_ACCOUNT)
@limiter.limit(limits.setting("SECOND_FACTOR_LIMIT"), methods=["POST"], key_func=limits.own_account,
               deduct_when=limits.unsuccessful)
def totp_setup():
    """The authenticator app: its QR code and the key as text; the first right code switches it on.
    Replacing an app asks for the password too, or a passkey confirms it."""
    secret = session.get(TOTP_SETUP) or second_factor.new_secret()
    session[TOTP_SETUP] = secret
    replacing = current_user.totp_secret is not None
    by_passkey = replacing and _passkey_confirmed()
    form = TotpForm()
    if form.validate_on_submit() and (not replacing or by_passkey or _password_confirms(form.password)):
        step = second_factor.totp_step(secret, form.code.data)
        if step is not None:
            current_user.totp_secret, current_user.totp_added_at, current_user.totp_last_step = secret, utcnow(), step
            codes = second_factor.new_recovery_codes(current_user)
            second_factor_changed(current_user, "second_factor.added",
                                  "Authenticator-App ersetzt" if replacing else "Authenticator-App eingerichtet")
            db.session.commit()
            session.pop(TOTP_SETUP, None)
            session.pop(PASSKEY_CONFIRMED, None)
            return render_template("accounts/recovery_codes.html", codes=codes, first=True)
        form.code.errors.append(_("Dieser Code stimmt nicht. Prüfen Sie die Uhrzeit Ihres Telefons und geben Sie den "
                                  "aktuellen Code ein."))
    return render_template("accounts/totp_setup.html", form=form, key=second_factor.key_for_typing(secret),
                           qr_png=second_factor.qr_code_png(current_user, secret), replacing=replacing,
                           by_passkey=by_passkey), 200 if request.method == "GET" else 422


def _passkey_confirmed() -> bool:
    confirmed_at = session.get(PASSKEY_CONFIRMED)
    return isinstance(confirmed_at, int) and 0 <= time.time() - confirmed_at <= PASSKEY_CONFIRMATION_SECONDS


def _password_confirms(field) -> bool:
    """Whether the password typed into ``field`` is the user's (else the field says why)."""
    if not field.data:
        field.errors.append(_("Bitte bestätigen Sie mit Ihrem Passwort."))
        return False
    if not current_user.check_password(field.data):
        field.errors.append(_("Das Passwort stimmt nicht."))
        return False
    return True


@bp.post("/konto/zweiter-faktor/app/bestaetigen/optionen")
@requires(Permission.OWN_ACCOUNT)
def totp_passkey_options():
    if not current_user.passkeys:
        return jsonify(error=_("Ihr Zugang hat keinen Passkey. Bitte bestätigen Sie mit Ihrem Passwort.")), 400
    return current_app.response_class(passkeys.authentication_options(current_user), mimetype="application/json")


@bp.post("/konto/zweiter-faktor/app/bestaetigen")
@requires(Permission.OWN_ACCOUNT)
def totp_passkey_confirm():
    """A passkey instead of the password before the authenticator app is replaced (for five minutes)."""
    try:
        passkeys.authenticate(current_user, passkeys.parse(request.get_data()))
    except passkeys.PasskeyRefused as refused:
        db.session.rollback()
        return jsonify(error=str(refused)), 422
    db.session.commit()
    session[PASSKEY_CONFIRMED] = int(time.time())
    return jsonify(redirect=url_for(".totp_setup"))


@bp.post("/konto/zweiter-faktor/app/entfernen")
@requires(Permission.OWN_ACCOUNT)
def totp_remove():
    if current_user.second_factor_required and not current_user.passkeys:
        return refuse_removal()
    if confirmed() is None:
        flash(_("Das Passwort stimmt nicht. Die Authenticator-App bleibt eingerichtet."), "error")
        return redirect(url_for(".second_factor_page"))
    second_factor.remove_app(current_user)
    second_factor_changed(current_user, "second_factor.removed", "Authenticator-App entfernt")
    db.session.commit()
    flash(_("Die Authenticator-App ist entfernt."), "success")
    return redirect(url_for(".second_factor_page"))


@bp.post("/konto/zweiter-faktor/codes")
@requires(Permission.OWN_ACCOUNT)
def recovery_codes():
    if not current_user.totp_secret:
        flash(_("Wiederherstellungscodes gehören zur Authenticator-App. Richten Sie zuerst die App ein."), "error")
        return redirect(url_for(".second_factor_page"))
    if confirmed() is None:
        flash(_("Das Passwort stimmt nicht. Die bisherigen Wiederherstellungscodes gelten weiter."), "error")
        return redirect(url_for(".second_factor_page"))
    codes = second_factor.new_recovery_codes(current_user)
    second_factor_changed(current_user, "second_factor.recovery_codes", "neue Wiederherstellungscodes erzeugt")
    db.session.commit()
    return render_template("accounts/recovery_codes.html", codes=codes, first=False)
