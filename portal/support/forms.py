from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

_INVALID_DATE = _l("Bitte geben Sie ein gültiges Datum ein.")


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Grund"),
        validators=[DataRequired(_l("Bitte geben Sie einen Grund an.")),
                    Length(max=500, message=_l("Höchstens %(max)d Zeichen."))],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


class LicenceForm(FlaskForm):
    valid_from = DateField(_l("Gültig ab"), validators=[InputRequired(_INVALID_DATE)],
                           invalid_value_message=_INVALID_DATE)
    valid_until = DateField(_l("Gültig bis (leer: unbefristet)"), validators=[Optional()],
                            invalid_value_message=_INVALID_DATE)

    def validate_valid_until(self, field) -> None:
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("Das Ende darf nicht vor dem Beginn liegen."))
