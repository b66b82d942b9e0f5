from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..forms import choices, strip


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-Mail"), validators=[DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")), Length(max=254)]
    )
    password = PasswordField(
        _l("Passwort"), validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein.")), Length(max=200)]
    )
    next = HiddenField()


class SecondFactorForm(FlaskForm):
    """The sign-in's second step: the app's six digits, or (folded away) a recovery code."""

    code = StringField(_l("Code aus der Authenticator-App"), validators=[Length(max=20)], filters=[strip])
    recovery_code = StringField(_l("Wiederherstellungscode"), validators=[Length(max=30)], filters=[strip])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.code.data or self.recovery_code.data):
            self.code.errors.append(_l("Bitte geben Sie den Code aus Ihrer Authenticator-App ein."))
            return False
        return True


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Sprache"), choices=choices([("de", "Deutsch"), ("en", "English")]))
