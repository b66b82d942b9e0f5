from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..extensions import db
from ..forms import A_NUMBER, AT_MOST, BIRTH_DATE, INVALID_DATE, choices, enum_choices, strip
from ..schedule.models import CourseKind
from .models import Participant, Terminal


class PairForm(FlaskForm):
    code = StringField(_l("Kopplungscode"), validators=[DataRequired(_l("Bitte geben Sie den Kopplungscode ein.")),
                                                        Length(max=20, message=AT_MOST)])


class IdentifyForm(FlaskForm):
    chip = StringField(_l("Chip"), validators=[Optional(), Length(max=64, message=AT_MOST)], filters=[strip])
    last_name = StringField(_l("Nachname"), validators=[Optional(), Length(max=80, message=AT_MOST)], filters=[strip])
    birth_date = DateField(_l("Geburtsdatum"), validators=[Optional(), BIRTH_DATE], invalid_value_message=INVALID_DATE)


class _SignedCheckIn(FlaskForm):
    signature = HiddenField()
    springer_reason = TextAreaField(_l("Grund für die Teilnahme als Springer"),
                                    validators=[Length(max=300, message=AT_MOST)], filters=[strip])
    extra_reason = TextAreaField(_l("Grund für die dritte Teilnahme in dieser Woche"),
                                 validators=[Length(max=300, message=AT_MOST)], filters=[strip])


class CheckInForm(_SignedCheckIn):
    """The portal's manual check-in: the person is chosen from the list."""

    participant_id = HiddenField(validators=[DataRequired()])


class TerminalCheckInForm(_SignedCheckIn):
    """The terminal's second step: the person is the one the first step identified, named by a
    signed, short-lived ticket (a posted participant id would let a tablet skip identification)."""

    ticket = HiddenField(validators=[DataRequired()])


class TerminalForm(FlaskForm):
    name = StringField(_l("Name des Terminals"), validators=[DataRequired(_l("Bitte geben Sie einen Namen ein.")),
                                                             Length(max=80, message=AT_MOST)], filters=[strip])
    key = StringField(_l("Kennung (z. B. Inventarnummer)"),
                      validators=[DataRequired(_l("Bitte geben Sie eine Kennung ein.")),
                                  Length(max=40, message=AT_MOST)],
                      filters=[strip])

    def __init__(self, *args, group_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self._group_id = group_id

    def validate_key(self, field) -> None:
        """A group's ids are unique regardless of case ("inv-0002" is "INV-0002")."""
        taken = db.session.scalars(select(Terminal.terminal_key).where(Terminal.group_id == self._group_id))
        if field.data.casefold() in {key.casefold() for key in taken}:
            raise ValidationError(_("Diese Kennung ist schon vergeben."))


class ParticipantForm(FlaskForm):
    first_name = StringField(_l("Vorname"), validators=[DataRequired(_l("Bitte geben Sie einen Vornamen ein.")),
                                                        Length(max=80, message=AT_MOST)], filters=[strip])
    last_name = StringField(_l("Nachname"), validators=[DataRequired(_l("Bitte geben Sie einen Nachnamen ein.")),
                                                        Length(max=80, message=AT_MOST)], filters=[strip])
    birth_date = DateField(_l("Geburtsdatum"), validators=[InputRequired(INVALID_DATE), BIRTH_DATE],
                           invalid_value_message=INVALID_DATE)
    chip_id = StringField(_l("Chip (optional)"), validators=[Optional(), Length(max=64, message=AT_MOST)],
                          filters=[strip])

    def __init__(self, *args, group_id: int, participant_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._group_id, self._participant_id = group_id, participant_id

    def validate_chip_id(self, field) -> None:
        if not field.data:
            return
        holder = db.session.scalar(select(Participant.id).where(Participant.group_id == self._group_id,
                                                                Participant.chip_id == field.data))
        if holder is not None and holder != self._participant_id:
            raise ValidationError(_("Dieser Chip ist schon einer anderen Person zugeordnet."))


class PrescriptionForm(FlaskForm):
    kind = SelectField(_l("Art"), invalid_choice_message=_l("Bitte wählen Sie Rehasport oder Funktionstraining."))
    units_approved = IntegerField(_l("Genehmigte Einheiten"), default=50, invalid_value_message=A_NUMBER,
                                  validators=[InputRequired(A_NUMBER), NumberRange(min=1, max=500)])
    valid_months = IntegerField(_l("Gültig (Monate ab der ersten Teilnahme)"), default=18,
                                invalid_value_message=A_NUMBER,
                                validators=[InputRequired(A_NUMBER), NumberRange(min=1, max=60)])
    payer = StringField(_l("Kostenträger"), validators=[Length(max=120, message=AT_MOST)], filters=[strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = enum_choices(CourseKind)


class PrescriptionEditForm(FlaskForm):
    """Correcting a prescription: its kind stays (check-ins were counted under it)."""

    units_approved = PrescriptionForm.units_approved
    valid_months = PrescriptionForm.valid_months
    payer = PrescriptionForm.payer


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Grund der Stornierung"),
                           validators=[DataRequired(_l("Bitte geben Sie einen Grund für die Stornierung an.")),
                                       Length(max=300, message=AT_MOST)], filters=[strip])


def _optional_id(value) -> int | None:
    return None if value in ("", None) else int(value)


class MoveForm(FlaskForm):
    course_id = SelectField(_l("Anderer Termin am selben Tag"), coerce=_optional_id,
                            validators=[DataRequired(_l("Bitte wählen Sie einen Termin."))],
                            invalid_choice_message=_l("Bitte wählen Sie einen Termin."),
                            invalid_value_message=_l("Bitte wählen Sie einen Termin."))
    springer_reason = _SignedCheckIn.springer_reason
    extra_reason = _SignedCheckIn.extra_reason

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = choices([("", _("Bitte wählen …"))]
                                         + [(c.id, f"{c.start_time:%H:%M} – {c.name}") for c in courses])


class ResolveForm(FlaskForm):
    """Resolving a check-in from "Zu klären": take it (with a reason where the rules ask) or not (with a note)."""

    springer_reason = _SignedCheckIn.springer_reason
    extra_reason = _SignedCheckIn.extra_reason
    note = TextAreaField(_l("Warum nicht zählen?"), validators=[Length(max=300, message=AT_MOST)], filters=[strip])


class MembershipForm(FlaskForm):
    course_id = SelectField(_l("Kursgruppe"), coerce=int,
                            invalid_choice_message=_l("Bitte wählen Sie eine Kursgruppe."),
                            invalid_value_message=_l("Bitte wählen Sie eine Kursgruppe."))

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = choices((c.id, c.name) for c in courses)
