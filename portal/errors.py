"""German error pages; htmx requests get a short fragment instead of a page."""

import time
from collections.abc import Callable

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from .auth.permissions import colleagues_with, reserved_for
from .extensions import htmx, limiter

MESSAGES = {
    400: lambda: _("Die Anfrage war fehlerhaft."),
    403: lambda: _("Sie haben keine Berechtigung für diese Seite."),
    404: lambda: _("Diese Seite gibt es nicht (mehr)."),
    405: lambda: _("Diese Aktion ist hier nicht möglich."),
    413: lambda: _("Die Anfrage ist zu groß. Bitte kürzen Sie Ihre Eingaben."),
    429: lambda: _("Zu viele Versuche. Bitte warten Sie einige Minuten und versuchen Sie es dann erneut."),
    500: lambda: _("Ein unerwarteter Fehler ist aufgetreten. Bitte versuchen Sie es später erneut."),
}


def retry_after() -> dict:
    """The Retry-After header for a 429: seconds until the exceeded limit's window resets."""
    limit = limiter.current_limit
    seconds = int(limit.reset_at - time.time()) + 1 if limit is not None else 60
    return {"Retry-After": str(max(1, seconds))}


def answer_errors_under(app: Flask, prefix: str, answer: Callable[[int], object]) -> None:
    """Let a feature answer the errors of the URLs under ``prefix`` itself (the app API in JSON),
    a 404 of an unknown URL included."""
    app.extensions.setdefault("error_answers", {})[prefix] = answer


def render_error(status: int, message: str | None = None):
    answers = current_app.extensions.get("error_answers", {})
    answer = next((answer for prefix, answer in answers.items() if request.path.startswith(prefix)), None)
    if answer is not None:
        return answer(status)
    if status == 429 and message is None:
        minutes = max(1, -(-int(retry_after()["Retry-After"]) // 60))
        message = ngettext("Zu viele Versuche. Bitte versuchen Sie es in %(num)s Minute erneut.",
                           "Zu viele Versuche. Bitte versuchen Sie es in %(num)s Minuten erneut.", minutes)
    message = message or MESSAGES.get(status, MESSAGES[500])()
    context = _who_may() if status == 403 else {}
    if request.blueprint == "terminal" or request.path.startswith("/terminal"):
        template = "checkin/terminal/error.html"  # the tablet at the counter has no portal around it
    else:
        template = "errors/_message.html" if htmx else "errors/error.html"
    return (render_template(template, status=status, message=message, **context), status,
            retry_after() if status == 429 else {})


def _who_may() -> dict:
    """A page this role may not open (often reached through a help link): who can do it instead,
    by role and by name, rather than a bare "no"."""
    view = current_app.view_functions.get(request.endpoint)
    permission = getattr(view, "required_permission", None)
    reserved = permission and reserved_for(current_user, permission)
    if not reserved:
        return {}
    return {"reserved": reserved, "ask": colleagues_with(current_user, permission)}


def init_app(app: Flask) -> None:
    for status in MESSAGES:
        app.register_error_handler(status, lambda e, status=status: render_error(status))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(
            400, _("Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es erneut.")
        )
