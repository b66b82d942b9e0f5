from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class PracticeForm(FlaskForm):
    name = StringField(
        _l("Name der Praxis"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Namen für die Praxis ein.")),
            Length(max=120, message=_l("Höchstens %(max)d Zeichen.")),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    city = StringField(
        _l("Ort"),
        validators=[Length(max=80, message=_l("Höchstens %(max)d Zeichen."))],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
