"""Pairing the tablet: a code from the portal, typed or from the QR code, sets the terminal's cookie."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .... import limits, url_secrets
from ....extensions import db, limiter
from ...forms import PairForm
from .. import pairing
from .blueprint import bp


@bp.route("/koppeln", methods=["GET", "POST"])
@limiter.limit(limits.setting("TERMINAL_PAIRING_LIMIT"), methods=["POST"], deduct_when=limits.refused)
def pair():
    if "code" in request.args:  # the QR code's address: the code moves into the session at once
        return url_secrets.take("pairing-code", request.args["code"][:20], ".pair")
    form = PairForm(code=url_secrets.pop("pairing-code"))
    error = None
    if form.validate_on_submit():
        result = pairing.pair(form.code.data)
        if result is not None:
            db.session.commit()
            response = redirect(url_for(".index"))
            response.set_cookie(pairing.COOKIE, result[1], max_age=5 * 365 * 24 * 3600, httponly=True,
                                samesite="Strict", secure=current_app.config["SESSION_COOKIE_SECURE"],
                                path="/terminal")
            return response
        error = _("Dieser Kopplungscode ist ungültig oder abgelaufen. Bitte lassen Sie im Portal einen neuen "
                  "erzeugen.")
    return render_template("checkin/terminal/pair.html", form=form, error=error), 200 if error is None else 422
