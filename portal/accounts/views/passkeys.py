"""Passkeys as second factor: added from the browser's own dialog, and removed."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...auth import passkeys as webauthn
from ...auth.models import Passkey
from ...auth.permissions import Permission, requires
from ...extensions import db
from ..services import second_factor_changed
from .blueprint import bp
from .second_factor import confirmed, refuse_removal


@bp.post("/konto/zweiter-faktor/passkey/optionen")
@requires(Permission.OWN_ACCOUNT)
def passkey_options():
    return current_app.response_class(webauthn.registration_options(current_user), mimetype="application/json")


@bp.post("/konto/zweiter-faktor/passkey")
@requires(Permission.OWN_ACCOUNT)
def passkey_add():
    try:
        credential = webauthn.parse(request.get_data())
        name = " ".join(str(credential.pop("name", "") or "").split())[:80] or _("Passkey")
        webauthn.register(current_user, credential, name)
    except webauthn.PasskeyRefused as refused:
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
        return refuse_removal()
    if confirmed() is None:
        flash(_("Das Passwort stimmt nicht. Der Passkey bleibt eingerichtet."), "error")
        return redirect(url_for(".second_factor_page"))
    name = passkey.name
    current_user.passkeys.remove(passkey)
    second_factor_changed(current_user, "second_factor.removed", f"Passkey „{name}“ entfernt")
    db.session.commit()
    flash(_("Der Passkey „%(name)s“ ist entfernt.", name=name), "success")
    return redirect(url_for(".second_factor_page"))
