""""Mein Konto": the name colleagues see, the password, and the sessions signed in with the account."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ...auth import second_factor, sessions, throttle
from ...auth.models import UserSession
from ...auth.permissions import Permission, requires
from ...extensions import db
from ...forms import ConfirmForm, confirmed_or_400
from ..forms import NameForm, PasswordChangeForm
from ..services import change_password, end_sessions, rename
from .blueprint import bp


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
