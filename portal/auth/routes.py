"""Signing in (password, then the second factor when the account has one), signing out, the
language. Every door is throttled per client and per account (``throttle.py``)."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from .. import limits
from ..extensions import db, limiter
from ..forms import ConfirmForm
from . import passkeys, second_factor, sessions, throttle
from .forms import LanguageForm, LoginForm, SecondFactorForm
from .login import home_url_for
from .models import User
from .services import authenticate, safe_next_url

bp = Blueprint("auth", __name__)
PENDING = "pending_sign_in"  # the Flask session's key: password right, second factor still to come
PENDING_SECONDS = 5 * 60


@bp.get("/")
@login_required
def home():
    return redirect(home_url_for(current_user))


def _signed_in(user: User, next_url: str | None):
    """The sign-in is complete: a server-side session, and this browser known for the account."""
    sessions.start(user)
    response = redirect(safe_next_url(next_url) or home_url_for(user))
    return throttle.remember_device(response, user)


@bp.route("/anmelden", methods=["GET", "POST"])
@throttle.PASSWORD.guard
def login():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        db.session.commit()  # an upgraded password hash, a failure note
        if user is not None and user.has_second_factor:
            session[PENDING] = {"user": user.id, "at": int(time.time()), "next": form.next.data or ""}
            return redirect(url_for("auth.second_step"))
        if user is not None:
            return _signed_in(user, form.next.data)
        g.sign_in_failed = True
        form.password.errors.append(_("E-Mail oder Passwort ist falsch."))
    return render_template("auth/login.html", form=form)


def _pending_user() -> User | None:
    """The account whose password was right a moment ago in this browser, awaiting its second factor."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user"))
    return user if user is not None and user.active and user.has_second_factor else None


def _pending_account() -> tuple[str, User | None]:
    user = _pending_user()
    return (str(user.id) if user is not None else "-"), user


SECOND_FACTOR = throttle.Door("second-factor", _pending_account, "SECOND_FACTOR_LIMIT", "SECOND_FACTOR_DEVICE_LIMIT",
                              "SECOND_FACTOR_CEILING")


@bp.route("/anmelden/bestaetigen", methods=["GET", "POST"])
@SECOND_FACTOR.guard
def second_step():
    """The second step of a sign-in: a code of the authenticator app, a recovery code, or a passkey."""
    user = _pending_user()
    if user is None:
        flash(_("Bitte melden Sie sich erneut an."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        if form.recovery_code.data:
            if second_factor.use_recovery_code(user, form.recovery_code.data):
                return _second_factor_passed(user)
            form.recovery_code.errors.append(_("Dieser Wiederherstellungscode stimmt nicht oder wurde schon "
                                               "verwendet."))
        elif second_factor.check_totp(user, form.code.data):
            return _second_factor_passed(user)
        else:
            form.code.errors.append(_("Dieser Code stimmt nicht. Bitte geben Sie den aktuellen Code aus Ihrer "
                                      "Authenticator-App ein."))
        g.sign_in_failed = True
    return render_template("auth/second_step.html", form=form, user=user,
                           recovery_open=bool(form.recovery_code.data or form.recovery_code.errors))


def _second_factor_passed(user: User):
    next_url = session.pop(PENDING, {}).get("next")
    db.session.commit()
    return _signed_in(user, next_url)


@bp.post("/anmelden/passkey/optionen")
@limiter.limit(limits.setting("SECOND_FACTOR_LIMIT"), exempt_when=SECOND_FACTOR.known)
def passkey_options():
    user = _pending_user()
    if user is None or not user.passkeys:
        return jsonify(error=_("Bitte melden Sie sich erneut an.")), 400
    return current_app.response_class(passkeys.authentication_options(user), mimetype="application/json")


@bp.post("/anmelden/passkey")
@SECOND_FACTOR.guard
def passkey_sign_in():
    user = _pending_user()
    if user is None:
        return jsonify(error=_("Bitte melden Sie sich erneut an.")), 400
    try:
        passkeys.authenticate(user, passkeys.parse(request.get_data()))
    except passkeys.PasskeyRefused as refused:
        g.sign_in_failed = True
        return jsonify(error=str(refused)), 422
    target = safe_next_url(session.pop(PENDING, {}).get("next")) or home_url_for(user)
    db.session.commit()
    sessions.start(user)
    return throttle.remember_device(jsonify(redirect=target), user)


@bp.post("/abmelden")
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        row = sessions.current()
        if row is not None:
            sessions.end(row, "abgemeldet")
            db.session.commit()
        logout_user()
        session.clear()
        flash(_("Sie wurden abgemeldet."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/sprache")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
    return redirect(safe_next_url(request.form.get("next")) or url_for("auth.home"))
