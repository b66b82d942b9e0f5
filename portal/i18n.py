"""Locale choice and Europe/Berlin date formatting for templates."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale, get_translations

DATETIME_FORMATS = {"de": "dd.MM.yyyy, HH:mm 'Uhr'", "en": "dd MMM yyyy, HH:mm"}
DATE_FORMATS = {"de": "dd.MM.yyyy", "en": "dd MMM yyyy"}
WEEKDAYS = {
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}


def select_locale() -> str:
    """The language stored in the session, else the browser's preference, else German."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def N_(message: str) -> str:
    """Mark a message for extraction; translate it later with ``translate``."""
    return message


def _translations():
    """The request's translations, looked up once per request rather than once per string."""
    try:
        return g._portal_translations
    except AttributeError:
        g._portal_translations = get_translations()
        return g._portal_translations


def translate(message: str, **variables) -> str:
    text = _translations().ugettext(message)
    return text % variables if variables else text


def current_language() -> str:
    return str(get_locale() or "de")[:2]


def weekday_names() -> list[str]:
    return WEEKDAYS.get(current_language(), WEEKDAYS["de"])


def datetime_filter(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, DATETIME_FORMATS.get(current_language(), DATETIME_FORMATS["de"]))


def date_filter(value: date | None) -> str:
    if value is None:
        return ""
    return format_date(value, DATE_FORMATS.get(current_language(), DATE_FORMATS["de"]))


def time_filter(value: time | None) -> str:
    return "" if value is None else value.strftime("%H:%M")


def weekday_filter(value: int) -> str:
    return weekday_names()[value]


def init_app(app: Flask) -> None:
    # Templates translate many strings per page: use the per-request cached catalogue.
    app.jinja_env.install_gettext_callables(
        lambda message: _translations().ugettext(message),
        lambda singular, plural, num: _translations().ungettext(singular, plural, num),
        newstyle=True,
    )
    app.add_template_filter(datetime_filter, "datetime")
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(time_filter, "time")
    app.add_template_filter(weekday_filter, "weekday")

    @app.context_processor
    def inject_locale():
        return {"current_lang": current_language()}
