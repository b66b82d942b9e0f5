from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..schedule.models import CourseKind
from ..validation import choices

_DATE = _l("Bitte geben Sie ein gültiges Datum ein.")


class PairForm(FlaskForm):
    code = StringField(_l("Kopplungscode"), validators=[DataRequired(_l("Bitte geben Sie den Kopplungscode ein.")),
                                                        Length(max=20)])


class IdentifyForm(FlaskForm):
    chip = StringField(_l("Chip"), validators=[Optional(), Length(max=64)])
    last_name = StringField(_l("Nachname"), validators=[Optional(), Length(max=80)])
    birth_date = DateField(_l("Geburtsdatum"), validators=[Optional()], invalid_value_message=_DATE)


class CheckInForm(FlaskForm):
    participant_id = HiddenField(validators=[DataRequired()])
    signature = HiddenField()
    springer_reason = TextAreaField(_l("Grund für die Teilnahme als Springer"), validators=[Length(max=300)])
    extra_reason = TextAreaField(_l("Grund für die dritte Teilnahme in dieser Woche"), validators=[Length(max=300)])


class TerminalForm(FlaskForm):
    name = StringField(_l("Name des Terminals"), validators=[DataRequired(_l("Bitte geben Sie einen Namen ein.")),
                                                             Length(max=80)])
    key = StringField(_l("Kennung (z. B. Inventarnummer)"),
                      validators=[DataRequired(_l("Bitte geben Sie eine Kennung ein.")), Length(max=40)])


class ParticipantForm(FlaskForm):
    first_name = StringField(_l("Vorname"), validators=[DataRequired(_l("Bitte geben Sie einen Vornamen ein.")),
                                                        Length(max=80)])
    last_name = StringField(_l("Nachname"), validators=[DataRequired(_l("Bitte geben Sie einen Nachnamen ein.")),
                                                        Length(max=80)])
    birth_date = DateField(_l("Geburtsdatum"), validators=[InputRequired(_DATE)], invalid_value_message=_DATE)
    chip_id = StringField(_l("Chip (optional)"), validators=[Optional(), Length(max=64)])


class PrescriptionForm(FlaskForm):
    kind = SelectField(_l("Art"), choices=choices([(CourseKind.REHASPORT.value, "Rehasport"),
                                                   (CourseKind.FUNKTIONSTRAINING.value, "Funktionstraining")]),
                       invalid_choice_message=_l("Bitte wählen Sie Rehasport oder Funktionstraining."))
    units_approved = IntegerField(_l("Genehmigte Einheiten"), default=50, invalid_value_message=_l("Bitte eine Zahl."),
                                  validators=[InputRequired(_l("Bitte eine Zahl.")), NumberRange(min=1, max=500)])
    valid_months = IntegerField(_l("Gültig (Monate ab der ersten Teilnahme)"), default=18,
                                invalid_value_message=_l("Bitte eine Zahl."),
                                validators=[InputRequired(_l("Bitte eine Zahl.")), NumberRange(min=1, max=60)])
    payer = StringField(_l("Kostenträger"), validators=[Length(max=120)])


class MembershipForm(FlaskForm):
    course_id = SelectField(_l("Kursgruppe"), coerce=int,
                            invalid_choice_message=_l("Bitte wählen Sie eine Kursgruppe."),
                            invalid_value_message=_l("Bitte wählen Sie eine Kursgruppe."))

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = choices((c.id, c.name) for c in courses)
