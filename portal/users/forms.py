from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length, ValidationError

from ..auth.models import Role
from ..forms import AT_MOST, EmailAddress, choices
from .services import email_taken

MIN_PASSWORD_LENGTH = 12
GROUP_ROLES = (Role.THERAPEUT, Role.CHEF)


class UserForm(FlaskForm):
    email = EmailField(
        _l("E-Mail"),
        validators=[DataRequired(_l("Bitte geben Sie eine E-Mail-Adresse ein.")), Length(max=254, message=AT_MOST),
                    EmailAddress()],
    )
    role = SelectField(_l("Rolle"), invalid_choice_message=_l("Bitte wählen Sie chef oder therapeut."))
    password = PasswordField(
        _l("Erstes Passwort"),
        validators=[
            DataRequired(_l("Bitte vergeben Sie ein erstes Passwort.")),
            Length(min=MIN_PASSWORD_LENGTH, max=200,
                   message=_l("Das Passwort muss mindestens %(min)d Zeichen lang sein.")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices((role.value, f"{role.label} – {role.duty}") for role in GROUP_ROLES)

    def validate_email(self, field) -> None:
        if field.data and email_taken(field.data):
            raise ValidationError(_("Für diese E-Mail-Adresse gibt es bereits einen Zugang."))
