"""Form pieces every feature shares: the confirm form, the strip filter, e-mail checks, enum
choices and the common German messages."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

INVALID_DATE = _l("Bitte geben Sie ein gültiges Datum ein.")
INVALID_TIME = _l("Bitte geben Sie eine gültige Uhrzeit ein.")
AT_MOST = _l("Höchstens %(max)d Zeichen.")
A_NUMBER = _l("Bitte geben Sie eine Zahl ein.")


def strip(value):
    """Filter: surrounding blanks are no part of a name."""
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(FlaskForm):
    """A bare button still posts through WTForms, so CSRF protects it."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def choices(pairs) -> list[SelectChoice]:
    """WTForms select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def enum_choices(members) -> list[SelectChoice]:
    """Select choices from labelled enum members (set per request: the labels are translated)."""
    return choices((member.value, member.label) for member in members)


def normalise_email(value: str) -> str:
    """Check the syntax of an e-mail address and return it normalised and lower-cased.

    Raises ``ValidationError`` with a German message when the address is not valid.
    """
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(
            _("Bitte geben Sie eine gültige E-Mail-Adresse ein (z. B. name@praxis.de).")
        ) from exc
    return result.normalized.lower()


class EmailAddress:
    """Validator that also replaces the field's data with the normalised address."""

    def __call__(self, form, field) -> None:
        if field.data:
            field.data = normalise_email(field.data)
