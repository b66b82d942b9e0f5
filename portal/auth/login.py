"""Flask-Login's setup (who is signed in, where an anonymous visitor is sent) and each role's home page."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from ..extensions import htmx
from . import sessions
from .models import Role


def init_login_manager(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Bitte melden Sie sich an.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(sessions.load)

    @login_manager.unauthorized_handler
    def unauthorized():
        login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
        if htmx:
            return "", 401, {"HX-Redirect": login_url}
        flash(login_manager.login_message, "info")
        return redirect(login_url)


def home_url_for(user) -> str:
    """Where a signed-in user starts: support's overview, everybody else the therapist list."""
    if user.role == Role.SUPPORT:
        return url_for("support.index")
    return url_for("therapists.index")
