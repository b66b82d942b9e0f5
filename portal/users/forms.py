from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length

from ..auth.models import Role
from ..validation import EmailAddress, choices

MIN_PASSWORD_LENGTH = 12


class UserForm(FlaskForm):
    email = EmailField(
        _l("E-Mail"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine E-Mail-Adresse ein.")),
            Length(max=254, message=_l("Höchstens %(max)d Zeichen.")),
            EmailAddress(),
        ],
    )
    role = SelectField(
        _l("Rolle"),
        invalid_choice_message=_l("Bitte wählen Sie chef oder therapeut."),
        choices=choices([(Role.THERAPEUT.value, _l("therapeut – Therapeuten bearbeiten")),
                         (Role.CHEF.value, _l("chef – zusätzlich Benutzer, Praxen und Scripts"))]),
    )
    password = PasswordField(
        _l("Erstes Passwort"),
        validators=[
            DataRequired(_l("Bitte vergeben Sie ein erstes Passwort.")),
            Length(min=MIN_PASSWORD_LENGTH, max=200,
                   message=_l("Das Passwort muss mindestens %(min)d Zeichen lang sein.")),
        ],
    )
