from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from ..auth import passwords
from ..auth.models import Role
from ..forms import AT_MOST, EmailAddress, choices, please_choose, strip

GROUP_ROLES = (Role.THERAPEUT, Role.CHEF)


class NewPasswordForm(FlaskForm):
    """A password chosen by its owner: at least 12 characters, not a common one, typed twice."""

    password = PasswordField(_l("Neues Passwort"), validators=[DataRequired(_l("Bitte wählen Sie ein Passwort."))])
    repeat = PasswordField(_l("Neues Passwort wiederholen"), validators=[
        DataRequired(_l("Bitte geben Sie das Passwort ein zweites Mal ein.")),
        EqualTo("password", _l("Die beiden Eingaben stimmen nicht überein."))])

    def __init__(self, *args, email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_password(self, field) -> None:
        problem = passwords.problem(field.data or "", self._email)
        if problem:
            raise ValidationError(problem)


def _single_spaces(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def _name_field() -> StringField:
    return StringField(_l("Ihr Name"), validators=[
        DataRequired(_l("Bitte geben Sie Ihren Namen ein, so wie Ihre Kollegen Sie kennen.")),
        Length(max=120, message=AT_MOST)], filters=[_single_spaces])


class JoinForm(NewPasswordForm):
    """Accepting an invitation: the invitee's name (the portal names people by it, not by their
    address) and their own password."""

    name = _name_field()


class NameForm(FlaskForm):
    """"Mein Konto": the name the portal shows for this person (invitations, the Protokoll)."""

    name = _name_field()


class PasswordChangeForm(NewPasswordForm):
    current = PasswordField(_l("Aktuelles Passwort"), validators=[
        DataRequired(_l("Bitte geben Sie Ihr aktuelles Passwort ein.")), Length(max=200)])


class PasswordConfirmForm(FlaskForm):
    """Before a change to the second factor: the password once more."""

    password = PasswordField(_l("Ihr Passwort"), validators=[
        DataRequired(_l("Bitte bestätigen Sie mit Ihrem Passwort.")), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-Mail"), validators=[
        DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")), Length(max=254, message=AT_MOST)],
        filters=[strip])


class TotpForm(FlaskForm):
    """The authenticator app's first code; replacing an app also asks for the password (unless a
    passkey confirmed it a moment ago: the view decides)."""

    code = StringField(_l("Code aus der App"), validators=[
        DataRequired(_l("Bitte geben Sie den Code ein, den die App zeigt.")), Length(max=20)], filters=[strip])
    password = PasswordField(_l("Ihr Passwort"), validators=[Optional(), Length(max=200)])


class InvitationForm(FlaskForm):
    email = EmailField(_l("E-Mail"), validators=[
        DataRequired(_l("Bitte geben Sie eine E-Mail-Adresse ein.")), Length(max=254, message=AT_MOST),
        EmailAddress()], filters=[strip])
    role = SelectField(_l("Rolle"), validators=[DataRequired(_l("Bitte wählen Sie eine Rolle."))],
                       invalid_choice_message=_l("Bitte wählen Sie eine Rolle."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [please_choose()] + choices((role.value, f"{role.label} – {role.duty}")
                                                         for role in GROUP_ROLES)
