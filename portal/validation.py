"""Shared WTForms validators with German messages."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError


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


def choices(pairs) -> list[SelectChoice]:
    """WTForms select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
