from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length

from ..forms import AT_MOST, EmailAddress, MultiCheckboxField, choices, strip
from ..tenancy import LicenceKind


class NewGroupForm(FlaskForm):
    name = StringField(_l("Name der Praxisgruppe"), validators=[
        DataRequired(_l("Bitte geben Sie einen Namen ein.")), Length(max=120, message=AT_MOST)], filters=[strip])
    licences = MultiCheckboxField(_l("Lizenzen ab heute"), default=[kind.value for kind in LicenceKind])
    chef_email = EmailField(_l("E-Mail der Praxisleitung (chef)"), validators=[
        DataRequired(_l("Bitte geben Sie die E-Mail-Adresse der Praxisleitung ein.")),
        Length(max=254, message=AT_MOST), EmailAddress()], filters=[strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.licences.choices = choices((kind.value, kind.label) for kind in LicenceKind)
