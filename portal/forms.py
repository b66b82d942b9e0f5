"""Form pieces every feature shares: the confirm form, the strip filter, e-mail checks, enum
choices and the common German messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps

from email_validator import EmailNotValidError, validate_email
from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .i18n import date_filter
from .timeutil import EARLIEST_DAY, LATEST_DAY, today_berlin

INVALID_DATE = _l("Bitte geben Sie ein gültiges Datum ein.")
INVALID_TIME = _l("Bitte geben Sie eine gültige Uhrzeit ein.")
AT_MOST = _l("Höchstens %(max)d Zeichen.")
A_NUMBER = _l("Bitte geben Sie eine Zahl ein.")


def strip(value):
    """Filter: surrounding blanks are no part of a name."""
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(FlaskForm):
    """A bare button still posts through WTForms, so CSRF protects it."""


def confirmed_or_400(form: FlaskForm | None = None) -> FlaskForm:
    """A POST of a bare button (or of ``form``) that WTForms accepts, CSRF token included, else 400."""
    form = form or ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    return form


def posted_form(load: Callable, make_form: Callable[..., FlaskForm], name: str, refuse: Callable):
    """Decorator for a view that takes a form's POST: ``load`` turns the URL's ids into the object
    (a 404 for another group's), ``make_form(obj)`` builds the form; an invalid form answers
    ``refuse(obj, status=422, <name>=form)`` (the section again with its errors), a valid one calls
    the view with the object and the form."""

    def decorate(view):
        @wraps(view)
        def wrapped(**ids):
            obj = load(**ids)
            form = make_form(obj)
            if not form.validate_on_submit():
                return refuse(obj, status=422, **{name: form})
            return view(obj, form)

        return wrapped

    return decorate


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def choices(pairs) -> list[SelectChoice]:
    """WTForms select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def please_choose() -> SelectChoice:
    """The first option of a select whose every other option is a real choice, so nothing is
    chosen by accident (with ``optional_id`` or a required check, it stays an error)."""
    return SelectChoice("", _("Bitte wählen …"))


def optional_id(value) -> int | None:
    """Coerce a select's value to an id; the "Bitte wählen …" placeholder is no choice (None)."""
    return None if value in ("", None) else int(value)


def enum_choices(members) -> list[SelectChoice]:
    """Select choices from labelled enum members (set per request: the labels are translated)."""
    return choices((member.value, member.label) for member in members)


def normalise_email(value: str) -> str:
    """Check the syntax of an e-mail address and return it normalised and lower-cased. A domain
    with umlauts is fine (mail goes to its ASCII form); umlauts before the @ are refused, since
    most mail servers cannot deliver them (that needs SMTPUTF8).

    Raises ``ValidationError`` with a German message when the address is not valid.
    """
    value = value.strip()
    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        if not value.partition("@")[0].isascii():
            raise ValidationError(_("Umlaute und andere Sonderzeichen vor dem @ können viele Mailserver nicht "
                                    "zustellen. Bitte geben Sie die Adresse ohne sie ein (z. B. juergen@… statt "
                                    "jürgen@…).")) from exc
        raise ValidationError(
            _("Bitte geben Sie eine gültige E-Mail-Adresse ein (z. B. name@praxis.de).")
        ) from exc
    return result.normalized.lower()


class EmailAddress:
    """Validator that also replaces the field's data with the normalised address."""

    def __call__(self, form, field) -> None:
        if field.data:
            field.data = normalise_email(field.data)


class DateBetween:
    """Validator: a day between ``earliest`` and ``latest`` (a callable such as ``today_berlin``
    for "not in the future"), so no form stores a date the portal cannot compute with."""

    def __init__(self, earliest: date = EARLIEST_DAY, latest: date | Callable[[], date] = LATEST_DAY) -> None:
        self.earliest, self.latest = earliest, latest

    def __call__(self, form, field) -> None:
        if field.data is None:
            return
        latest = self.latest() if callable(self.latest) else self.latest
        if not self.earliest <= field.data <= latest:
            raise ValidationError(_("Bitte geben Sie ein Datum zwischen dem %(earliest)s und dem %(latest)s ein.",
                                    earliest=date_filter(self.earliest), latest=date_filter(latest)))


BIRTH_DATE = DateBetween(latest=today_berlin)
