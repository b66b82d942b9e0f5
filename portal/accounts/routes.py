"""The person's own account: joining by invitation, "Passwort vergessen?", and "Mein Konto"
(password, signed-in sessions, the second factor)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import limits, url_secrets
from ..auth import passkeys, second_factor, sessions, throttle
from ..auth.login import home_url_for
from ..auth.models import Passkey, UserSession
from ..auth.permissions import Permission, requires
from ..extensions import db, htmx, limiter
from ..forms import ConfirmForm, confirmed_or_400
from ..timeutil import utcnow
from .forms import (
    ForgotPasswordForm,
    JoinForm,
    NameForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    TotpForm,
)
from .mails import valid_link
from .models import AccountMail, MailKind
from .services import (
    AccountRefused,
    accept,
    change_password,
    end_sessions,
    rename,
    request_reset,
    reset_password,
    second_factor_changed,
)

bp = Blueprint("account", __name__)
SAME_TIME = 0.35  # seconds "Passwort vergessen?" takes whatever the address (no timing tells)
TOTP_SETUP = "totp_setup"  # the Flask session's key for a secret not yet confirmed by a code
PASSKEY_CONFIRMED = "totp_replace_confirmed_at"  # when a passkey confirmed replacing the app
PASSKEY_CONFIRMATION_SECONDS = 5 * 60


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


# --- joining, and a new password by mail ----------------------------------------------------------

def _link_invalid(kind: MailKind, status: int = 404, message: str | None = None):
    return render_template("accounts/link_invalid.html", invitation=kind == MailKind.INVITATION, message=message,
                           from_mail=not url_secrets.held(kind.value)), status


def _take_link(token: str, kind: MailKind, endpoint: str):
    """A link from a mail: its token moves into this browser's session at once, and the browser on
    to the page without it (nothing in the address bar, the history or an access log)."""
    if valid_link(token, kind) is None:
        return render_template("accounts/link_invalid.html", invitation=kind == MailKind.INVITATION), 404
    return url_secrets.take(kind.value, token, endpoint)


def _link_page(rule: str, kind: MailKind, usable: Callable[[AccountMail], bool]):
    """A page a mail's link opens. ``rule/<token>`` (endpoint ``<view>_link``) takes the token
    (``_take_link``); the page at ``rule`` gets the mail its link is for while the link works and
    ``usable(mail)`` holds, else the link's error page. Its failed POSTs count against the link limit."""
    def decorate(view):
        endpoint = view.__name__
        bp.add_url_rule(f"{rule}/<token>", f"{endpoint}_link", methods=["GET"],
                        view_func=lambda token: _take_link(token, kind, f".{endpoint}"))

        @wraps(view)
        def page():
            mail = valid_link(url_secrets.held(kind.value), kind)
            if mail is None or not usable(mail):
                return _link_invalid(kind)
            return view(mail)

        limited = limiter.limit(limits.setting("LINK_LIMIT"), methods=["POST"], deduct_when=limits.unsuccessful)
        return bp.route(rule, methods=["GET", "POST"])(limited(page))
    return decorate


def _use_link(kind: MailKind, change, *args):
    """Make the change a link's page is for (joining, a new password) and commit: (its result,
    None), or (None, the link's error page) when it is refused, e.g. the link was used meanwhile."""
    try:
        result = change(*args)
    except AccountRefused as refused:
        db.session.rollback()
        return None, _link_invalid(kind, 409, str(refused))
    db.session.commit()
    return result, None


@_link_page("/einladung", MailKind.INVITATION, lambda mail: mail.invitation.open)
def join(mail: AccountMail):
    """The invitation's page: choose a password, and be signed in."""
    invitation = mail.invitation
    form = JoinForm(email=invitation.email)
    if form.validate_on_submit():
        user, refusal = _use_link(MailKind.INVITATION, accept, mail, form.name.data, form.password.data)
        if refusal is not None:
            return refusal
        sessions.start(user)
        flash(_("Willkommen! Ihr Zugang für „%(group)s“ ist eingerichtet.", group=invitation.group.name), "success")
        return throttle.remember_device(redirect(home_url_for(user)), user)
    return render_template("accounts/join.html", form=form, invitation=invitation), \
        200 if request.method == "GET" else 422


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


@_link_page("/passwort/neu", MailKind.RESET, lambda mail: mail.user is not None and mail.user.active)
def new_password(mail: AccountMail):
    """The reset link's page: a new password; every session of the account ends."""
    form = NewPasswordForm(email=mail.email)
    if form.validate_on_submit():
        _user, refusal = _use_link(MailKind.RESET, reset_password, mail, form.password.data)
        if refusal is not None:
            return refusal
        url_secrets.pop(MailKind.RESET.value)
        flash(_("Ihr neues Passwort gilt. Alle Anmeldungen Ihres Zugangs wurden beendet; bitte melden Sie sich "
                "neu an."), "success")
        return redirect(url_for("auth.login"))
    return render_template("accounts/new_password.html", form=form, email=mail.email), \
        200 if request.method == "GET" else 422


# --- "Mein Konto" -------------------------------------------------------------------------------

def _account_page(status: int = 200, **forms):
    live = sessions.live(current_user.id)
    this = sessions.current()
    return render_template(
        "accounts/account.html", status=status,
        password_form=forms.get("password_form") or PasswordChangeForm(formdata=None, email=current_user.email),
        name_form=forms.get("name_form") or NameForm(formdata=None, obj=current_user),
        confirm_form=ConfirmForm(), sessions=[sessions.describe(row, this) for row in live],
        recovery_left=second_factor.recovery_codes_left(current_user) if current_user.totp_secret else 0,
    ), status


@bp.get("/konto")
@requires(Permission.OWN_ACCOUNT)
def index():
    return _account_page()


@bp.post("/konto/name")
@requires(Permission.OWN_ACCOUNT)
def change_name():
    """The name colleagues see: on invitations the person sends and in the Protokoll."""
    form = NameForm()
    if not form.validate_on_submit():
        return _account_page(422, name_form=form)
    changed = rename(current_user, form.name.data)
    db.session.commit()
    flash(_("Ihr Name ist gespeichert.") if changed else _("Es wurde nichts geändert."), "success")
    return redirect(url_for(".index"))


@bp.post("/konto/passwort")
@requires(Permission.OWN_ACCOUNT)
def change_password_view():
    form = PasswordChangeForm(email=current_user.email)
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("Das aktuelle Passwort stimmt nicht."))
        else:
            ended = change_password(current_user, form.password.data)
            db.session.commit()
            flash(_("Ihr Passwort wurde geändert.") + (" " + _("Ihre anderen Anmeldungen wurden beendet.")
                                                         if ended else ""), "success")
            return throttle.remember_device(redirect(url_for(".index")), current_user)
    return _account_page(422, password_form=form)


@bp.post("/konto/sitzungen/<int:session_id>/beenden")
@requires(Permission.OWN_ACCOUNT)
def end_session(session_id: int):
    confirmed_or_400()
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != current_user.id or row.ended_at is not None:
        abort(404)
    this = sessions.current()
    end_sessions(current_user, [row])
    db.session.commit()
    if this is not None and row.id == this.id:
        return redirect(url_for("auth.login"))
    flash(_("Die Anmeldung wurde beendet."), "success")
    return redirect(url_for(".index"))


@bp.post("/konto/sitzungen/andere-beenden")
@requires(Permission.OWN_ACCOUNT)
def end_other_sessions():
    confirmed_or_400()
    this = sessions.current()
    ended = end_sessions(current_user, [row for row in sessions.live(current_user.id)
                                        if this is None or row.id != this.id])
    db.session.commit()
    flash(ngettext("%(num)s andere Anmeldung wurde beendet.", "%(num)s andere Anmeldungen wurden beendet.", ended),
          "success")
    return redirect(url_for(".index"))


# --- the second factor -------------------------------------------------------------------------

@bp.get("/konto/zweiter-faktor")
@requires(Permission.OWN_ACCOUNT)
def second_factor_page():
    """Set up or change the second factor; where a required but missing one sends the user."""
    return render_template("accounts/second_factor.html", confirm_form=PasswordConfirmForm(formdata=None),
                           recovery_left=second_factor.recovery_codes_left(current_user))


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


def _confirmed() -> PasswordConfirmForm | None:
    """The password form of a second-factor change, if the password is right (else None, with errors)."""
    form = PasswordConfirmForm()
    if form.validate_on_submit() and current_user.check_password(form.password.data):
        return form
    if form.password.data:
        form.password.errors.append(_("Das Passwort stimmt nicht."))
    return None


def _refuse_removal():
    flash(_("Ihr Zugang braucht einen zweiten Faktor. Richten Sie zuerst einen anderen ein (etwa einen Passkey), "
            "dann können Sie diesen entfernen."), "error")
    return redirect(url_for(".second_factor_page"))


@bp.post("/konto/zweiter-faktor/app/entfernen")
@requires(Permission.OWN_ACCOUNT)
def totp_remove():
    if current_user.second_factor_required and not current_user.passkeys:
        return _refuse_removal()
    if _confirmed() is None:
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
    if _confirmed() is None:
        flash(_("Das Passwort stimmt nicht. Die bisherigen Wiederherstellungscodes gelten weiter."), "error")
        return redirect(url_for(".second_factor_page"))
    codes = second_factor.new_recovery_codes(current_user)
    second_factor_changed(current_user, "second_factor.recovery_codes", "neue Wiederherstellungscodes erzeugt")
    db.session.commit()
    return render_template("accounts/recovery_codes.html", codes=codes, first=False)


@bp.post("/konto/zweiter-faktor/passkey/optionen")
@requires(Permission.OWN_ACCOUNT)
def passkey_options():
    return current_app.response_class(passkeys.registration_options(current_user), mimetype="application/json")


@bp.post("/konto/zweiter-faktor/passkey")
@requires(Permission.OWN_ACCOUNT)
def passkey_add():
    try:
        credential = passkeys.parse(request.get_data())
        name = " ".join(str(credential.pop("name", "") or "").split())[:80] or _("Passkey")
        passkeys.register(current_user, credential, name)
    except passkeys.PasskeyRefused as refused:
        db.session.rollback()
        return jsonify(error=str(refused)), 422
    second_factor_changed(current_user, "second_factor.added", f"Passkey „{name}“ hinzugefügt")
    db.session.commit()
    flash(_("Der Passkey „%(name)s“ ist eingerichtet.", name=name), "success")
    return jsonify(redirect=url_for(".second_factor_page"))


@bp.post("/konto/zweiter-faktor/passkey/<int:passkey_id>/entfernen")
@requires(Permission.OWN_ACCOUNT)
def passkey_remove(passkey_id: int):
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != current_user.id:
        abort(404)
    if current_user.second_factor_required and not current_user.totp_secret and len(current_user.passkeys) == 1:
        return _refuse_removal()
    if _confirmed() is None:
        flash(_("Das Passwort stimmt nicht. Der Passkey bleibt eingerichtet."), "error")
        return redirect(url_for(".second_factor_page"))
    name = passkey.name
    current_user.passkeys.remove(passkey)
    second_factor_changed(current_user, "second_factor.removed", f"Passkey „{name}“ entfernt")
    db.session.commit()
    flash(_("Der Passkey „%(name)s“ ist entfernt.", name=name), "success")
    return redirect(url_for(".second_factor_page"))
