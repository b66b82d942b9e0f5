import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..extensions import db
from ..forms import AT_MOST, INVALID_DATE, DateBetween, strip
from ..tenancy import Practice, valid_ik

SEPARATORS = "-./‐‑–"


def _digits_only(value):
    """A number as people write it: full-width digits as ASCII, spaces, dots, dashes and slashes
    between groups left out ("59 053 101 3", "59-053-101-3")."""
    if not isinstance(value, str):
        return value
    return "".join(char for char in unicodedata.normalize("NFKC", value)
                   if not (char.isspace() or char in SEPARATORS or unicodedata.category(char) == "Cf"))


class PracticeForm(FlaskForm):
    name = StringField(
        _l("Name der Praxis"),
        validators=[DataRequired(_l("Bitte geben Sie einen Namen für die Praxis ein.")),
                    Length(max=120, message=AT_MOST)],
        filters=[strip],
    )
    city = StringField(_l("Ort"), validators=[Length(max=80, message=AT_MOST)], filters=[strip])
    street = StringField(_l("Straße und Hausnummer"), validators=[Length(max=120, message=AT_MOST)], filters=[strip])
    postcode = StringField(_l("PLZ"), filters=[_digits_only])
    ik = StringField(_l("Institutionskennzeichen (IK)"), filters=[_digits_only])

    def __init__(self, *args, group_id: int, practice_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._group_id, self._practice_id = group_id, practice_id

    def validate_name(self, field) -> None:
        """Names differ in more than case, umlauts included ("ÄRZTEHAUS" is "Ärztehaus")."""
        others = db.session.scalars(select(Practice.name).where(Practice.group_id == self._group_id,
                                                                Practice.id != (self._practice_id or 0)))
        if field.data.casefold() in {name.casefold() for name in others}:
            raise ValidationError(_("Eine Praxis mit diesem Namen gibt es in Ihrer Praxisgruppe schon."))

    def validate_postcode(self, field) -> None:
        if field.data and not (len(field.data) == 5 and field.data.isascii() and field.data.isdigit()):
            raise ValidationError(_("Eine Postleitzahl hat fünf Ziffern."))

    def validate_ik(self, field) -> None:
        if not field.data:
            return
        if not (field.data.isascii() and field.data.isdigit()):
            raise ValidationError(_("Ein Institutionskennzeichen besteht nur aus Ziffern (Leerzeichen dürfen sein)."))
        if len(field.data) != 9:
            raise ValidationError(_("Ein Institutionskennzeichen hat neun Ziffern."))
        if not valid_ik(field.data):
            raise ValidationError(_("Dieses Institutionskennzeichen ist ungültig: Die Prüfziffer (letzte Ziffer) "
                                    "passt nicht. Bitte vergleichen Sie es mit dem Zulassungsbescheid."))


class LicenceForm(FlaskForm):
    valid_from = DateField(_l("Gültig ab"), validators=[InputRequired(INVALID_DATE), DateBetween()],
                           invalid_value_message=INVALID_DATE)
    valid_until = DateField(_l("Gültig bis (leer: unbefristet)"), validators=[Optional(), DateBetween()],
                            invalid_value_message=INVALID_DATE)

    def validate_valid_until(self, field) -> None:
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("Das Ende darf nicht vor dem Beginn liegen."))
