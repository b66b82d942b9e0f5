from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..forms import AT_MOST, INVALID_DATE, INVALID_TIME, DateBetween, choices, enum_choices, strip
from .models import CourseKind

_REQUIRED_PRACTICE = _l("Bitte wählen Sie eine Praxis.")
_DURATION = _l("Bitte geben Sie die Dauer in Minuten ein.")
_DURATION_RANGE = _l("Die Dauer muss zwischen %(min)s und %(max)s Minuten liegen.")


def _duration(default: int, low: int, high: int) -> IntegerField:
    return IntegerField(_l("Dauer (Minuten)"), default=default, invalid_value_message=_DURATION,
                        validators=[InputRequired(_DURATION), NumberRange(min=low, max=high, message=_DURATION_RANGE)])


def _id_or_none(value):
    """Coerce a choice: the placeholder "" is no choice."""
    return None if value in ("", None) else int(value)


def _practice() -> SelectField:
    return SelectField(_l("Praxis"), coerce=_id_or_none, validators=[InputRequired(_REQUIRED_PRACTICE)],
                       invalid_choice_message=_REQUIRED_PRACTICE, invalid_value_message=_REQUIRED_PRACTICE)


def _practice_choices(field: SelectField, practices) -> None:
    """The group's practices after a "Bitte wählen" placeholder; the only one is preselected."""
    practices = list(practices)
    field.choices = [SelectChoice("", _("Bitte wählen …"))] + choices((p.id, p.name) for p in practices)
    if len(practices) == 1 and field.data is None and field.raw_data is None:
        field.data = practices[0].id


class AppointmentForm(FlaskForm):
    title = StringField(
        _l("Bezeichnung"),
        validators=[DataRequired(_l("Bitte geben Sie eine Bezeichnung ein, z. B. „Krankengymnastik“.")),
                    Length(max=120, message=AT_MOST)],
        filters=[strip],
    )
    day = DateField(_l("Datum"), validators=[InputRequired(INVALID_DATE), DateBetween()],
                    invalid_value_message=INVALID_DATE)
    start = TimeField(_l("Beginn"), validators=[InputRequired(INVALID_TIME)], invalid_value_message=INVALID_TIME)
    duration_minutes = _duration(30, 5, 480)
    practice_id = _practice()

    def __init__(self, *args, practices=(), **kwargs):
        super().__init__(*args, **kwargs)
        _practice_choices(self.practice_id, practices)


class CourseForm(FlaskForm):
    kind = SelectField(_l("Kursart"), invalid_choice_message=_l("Bitte wählen Sie Rehasport oder Funktionstraining."))
    name = StringField(
        _l("Kursname"),
        validators=[DataRequired(_l("Bitte geben Sie einen Kursnamen ein.")), Length(max=120, message=AT_MOST)],
        filters=[strip],
    )
    weekday = SelectField(
        _l("Wochentag"), coerce=int,
        invalid_choice_message=_l("Bitte wählen Sie einen Wochentag."),
        invalid_value_message=_l("Bitte wählen Sie einen Wochentag."),
    )
    start_time = TimeField(_l("Beginn"), validators=[InputRequired(INVALID_TIME)], invalid_value_message=INVALID_TIME)
    duration_minutes = _duration(45, 15, 240)
    practice_id = _practice()

    def __init__(self, *args, practices=(), weekdays=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = enum_choices(CourseKind)
        _practice_choices(self.practice_id, practices)
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
