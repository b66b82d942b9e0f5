from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..forms import (
    AT_MOST,
    INVALID_DATE,
    INVALID_TIME,
    DateBetween,
    choices,
    enum_choices,
    optional_id,
    please_choose,
    strip,
)
from .models import CourseKind

_REQUIRED_PRACTICE = _l("Bitte wählen Sie eine Praxis.")
_DURATION = _l("Bitte geben Sie die Dauer in Minuten ein.")
_DURATION_RANGE = _l("Die Dauer muss zwischen %(min)s und %(max)s Minuten liegen.")


def _duration(default: int, low: int, high: int) -> IntegerField:
    return IntegerField(_l("Dauer (Minuten)"), default=default, invalid_value_message=_DURATION,
                        validators=[InputRequired(_DURATION), NumberRange(min=low, max=high, message=_DURATION_RANGE)])


def _practice() -> SelectField:
    return SelectField(_l("Praxis"), coerce=optional_id, validators=[InputRequired(_REQUIRED_PRACTICE)],
                       invalid_choice_message=_REQUIRED_PRACTICE, invalid_value_message=_REQUIRED_PRACTICE)


def _practice_choices(field: SelectField, practices, own=()) -> None:
    """The group's practices after a "Bitte wählen" placeholder; the one sensible choice is
    preselected: the therapist's only practice, else the group's only one."""
    practices, own = list(practices), list(own)
    field.choices = [please_choose()] + choices((p.id, p.name) for p in practices)
    only = own if len(own) == 1 else practices if len(practices) == 1 else []
    if only and field.data is None and field.raw_data is None:
        field.data = only[0].id


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

    def __init__(self, *args, practices=(), own_practices=(), **kwargs):
        super().__init__(*args, **kwargs)
        _practice_choices(self.practice_id, practices, own_practices)


_KIND = _l("Bitte wählen Sie Rehasport oder Funktionstraining.")
_WEEKDAY = _l("Bitte wählen Sie einen Wochentag.")


class CourseForm(FlaskForm):
    kind = SelectField(_l("Kursart"), validators=[DataRequired(_KIND)], invalid_choice_message=_KIND)
    name = StringField(
        _l("Kursname"),
        validators=[DataRequired(_l("Bitte geben Sie einen Kursnamen ein.")), Length(max=120, message=AT_MOST)],
        filters=[strip],
    )
    weekday = SelectField(_l("Wochentag"), coerce=optional_id, validators=[InputRequired(_WEEKDAY)],
                          invalid_choice_message=_WEEKDAY, invalid_value_message=_WEEKDAY)
    start_time = TimeField(_l("Beginn"), validators=[InputRequired(INVALID_TIME)], invalid_value_message=INVALID_TIME)
    duration_minutes = _duration(45, 15, 240)
    practice_id = _practice()

    def __init__(self, *args, practices=(), own_practices=(), weekdays=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [please_choose()] + enum_choices(CourseKind)
        _practice_choices(self.practice_id, practices, own_practices)
        self.weekday.choices = [please_choose()] + choices(enumerate(weekdays))


_OWN_COURSE = _l("Bitte wählen Sie einen Kurs Ihrer Praxisgruppe.")


class AssignCourseForm(FlaskForm):
    course_id = SelectField(_l("Vorhandener Kurs"), coerce=optional_id, validators=[InputRequired(_OWN_COURSE)],
                            invalid_choice_message=_OWN_COURSE, invalid_value_message=_OWN_COURSE)

    def __init__(self, *args, course_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = [please_choose()] + choices(course_choices)
