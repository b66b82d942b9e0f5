from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..validation import choices
from .models import CourseKind

_REQUIRED_PRACTICE = _l("Bitte wählen Sie eine Praxis.")
_INVALID_DATE = _l("Bitte geben Sie ein gültiges Datum ein.")
_INVALID_TIME = _l("Bitte geben Sie eine gültige Uhrzeit ein.")
_DURATION = _l("Bitte geben Sie die Dauer in Minuten ein.")


def _practice_choices(practices):
    return choices((p.id, p.name) for p in practices)


class AppointmentForm(FlaskForm):
    title = StringField(
        _l("Bezeichnung"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine Bezeichnung ein, z. B. „Krankengymnastik“.")),
            Length(max=120, message=_l("Höchstens %(max)d Zeichen.")),
        ],
    )
    day = DateField(_l("Datum"), validators=[InputRequired(_INVALID_DATE)], invalid_value_message=_INVALID_DATE)
    start = TimeField(_l("Beginn"), validators=[InputRequired(_INVALID_TIME)], invalid_value_message=_INVALID_TIME)
    duration_minutes = IntegerField(
        _l("Dauer (Minuten)"),
        default=30,
        invalid_value_message=_DURATION,
        validators=[
            InputRequired(_DURATION),
            NumberRange(min=5, max=480, message=_l("Die Dauer muss zwischen %(min)s und %(max)s Minuten liegen.")),
        ],
    )
    practice_id = SelectField(
        _l("Praxis"), coerce=int, validators=[InputRequired(_REQUIRED_PRACTICE)],
        invalid_choice_message=_REQUIRED_PRACTICE, invalid_value_message=_REQUIRED_PRACTICE,
    )

    def __init__(self, *args, practices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.practice_id.choices = _practice_choices(practices)


class CourseForm(FlaskForm):
    kind = SelectField(
        _l("Kursart"),
        invalid_choice_message=_l("Bitte wählen Sie Rehasport oder Funktionstraining."),
        choices=choices([(CourseKind.REHASPORT.value, "Rehasport"),
                         (CourseKind.FUNKTIONSTRAINING.value, "Funktionstraining")]),
    )
    name = StringField(
        _l("Kursname"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Kursnamen ein.")),
            Length(max=120, message=_l("Höchstens %(max)d Zeichen.")),
        ],
    )
    weekday = SelectField(
        _l("Wochentag"), coerce=int,
        invalid_choice_message=_l("Bitte wählen Sie einen Wochentag."),
        invalid_value_message=_l("Bitte wählen Sie einen Wochentag."),
    )
    start_time = TimeField(_l("Beginn"), validators=[InputRequired(_INVALID_TIME)], invalid_value_message=_INVALID_TIME)
    duration_minutes = IntegerField(
        _l("Dauer (Minuten)"),
        default=45,
        invalid_value_message=_DURATION,
        validators=[
            InputRequired(_DURATION),
            NumberRange(min=15, max=240, message=_l("Die Dauer muss zwischen %(min)s und %(max)s Minuten liegen.")),
        ],
    )
    practice_id = SelectField(
        _l("Praxis"), coerce=int, validators=[InputRequired(_REQUIRED_PRACTICE)],
        invalid_choice_message=_REQUIRED_PRACTICE, invalid_value_message=_REQUIRED_PRACTICE,
    )

    def __init__(self, *args, practices=(), weekdays=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.practice_id.choices = _practice_choices(practices)
        self.weekday.choices = choices(enumerate(weekdays))


class AssignCourseForm(FlaskForm):
    course_id = SelectField(
        _l("Vorhandener Kurs"), coerce=int,
        invalid_choice_message=_l("Bitte wählen Sie einen Kurs Ihrer Praxisgruppe."),
        invalid_value_message=_l("Bitte wählen Sie einen Kurs Ihrer Praxisgruppe."),
    )

    def __init__(self, *args, course_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = choices(course_choices)


class ConfirmForm(FlaskForm):
    """A bare button still posts through WTForms, so CSRF protects it."""
