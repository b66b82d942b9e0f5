"""Locale choice and Europe/Berlin date formatting for templates."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

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


# numbers as German prose writes them up to twelve, in the feminine ("zwei Teilnahmen", "eine dritte")
_COUNT_WORDS = (N_("null"), N_("eine"), N_("zwei"), N_("drei"), N_("vier"), N_("fünf"), N_("sechs"), N_("sieben"),
                N_("acht"), N_("neun"), N_("zehn"), N_("elf"), N_("zwölf"))
_ORDINAL_WORDS = ("", N_("erste"), N_("zweite"), N_("dritte"), N_("vierte"), N_("fünfte"), N_("sechste"),
                  N_("siebte"), N_("achte"), N_("neunte"), N_("zehnte"), N_("elfte"), N_("zwölfte"))


def count_word(number: int) -> str:
    """A count in words up to twelve ("zwei"), in digits above."""
    return translate(_COUNT_WORDS[number]) if 0 <= number < len(_COUNT_WORDS) else str(number)


def ordinal_word(number: int) -> str:
    """An ordinal in words up to twelve ("dritte"), "13." above."""
    return translate(_ORDINAL_WORDS[number]) if 0 < number < len(_ORDINAL_WORDS) else f"{number}."


class LabelledEnum(StrEnum):
    """A string enum whose members carry their German label, translated when read:
    ``REHASPORT = "rehasport", N_("Rehasport")``. Subclasses may add more values per member and
    take them in ``__init__``."""

    def __new__(cls, value: str, label: str, *_more):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        return translate(self._label)


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


def clock_time(value: datetime) -> str:
    """An instant as Berlin wall-clock time, e.g. "14:47"."""
    return format_datetime(value, "HH:mm")


def time_filter(value: time | None) -> str:
    return "" if value is None else value.strftime("%H:%M")


def weekday_filter(value: int) -> str:
    return weekday_names()[value]


def month_name_filter(value: date) -> str:
    """A month in words, e.g. "November 2026"."""
    return format_date(value, "LLLL yyyy")


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
    app.add_template_filter(month_name_filter, "month_name")

    @app.context_processor
    def inject_locale():
        return {"current_lang": current_language()}
