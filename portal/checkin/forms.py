from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..extensions import db
from ..forms import (
    A_NUMBER,
    AT_MOST,
    BIRTH_DATE,
    INVALID_DATE,
    DateBetween,
    choices,
    optional_id,
    please_choose,
    strip,
)
from ..i18n import weekday_filter
from ..schedule.models import CourseKind
from ..timeutil import today_berlin
from .models import PRESCRIPTION_DEFAULTS, Participant, Terminal


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


class LateCheckInForm(CheckInForm):
    """A check-in forgotten on its day, entered afterwards in the portal: why, for the log."""

    late_reason = TextAreaField(_l("Grund für den Nachtrag"), validators=[
        DataRequired(_l("Bitte geben Sie an, warum der Check-in nachgetragen wird.")),
        Length(max=300, message=AT_MOST)], filters=[strip])


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


_KIND = _l("Bitte wählen Sie Rehasport oder Funktionstraining.")
PAYER_DETAILS = ("prescribed_on", "approved_on", "approval_number", "insurance_number")


class _PayerDetails(FlaskForm):
    """What the payer's proof asks for, when the practice has it: each optional, printed on the
    Teilnahmenachweis when given."""

    prescribed_on = DateField(_l("Verordnungsdatum"), validators=[Optional(), DateBetween(latest=today_berlin)],
                              invalid_value_message=INVALID_DATE)
    approved_on = DateField(_l("Genehmigungsdatum"), validators=[Optional(), DateBetween(latest=today_berlin)],
                            invalid_value_message=INVALID_DATE)
    approval_number = StringField(_l("Genehmigungsnummer"), validators=[Length(max=40, message=AT_MOST)],
                                  filters=[strip])
    insurance_number = StringField(_l("Versichertennummer"), validators=[Length(max=30, message=AT_MOST)],
                                   filters=[strip])

    def validate_approved_on(self, field) -> None:
        if field.data and self.prescribed_on.data and field.data < self.prescribed_on.data:
            raise ValidationError(_("Die Genehmigung kann nicht vor der Verordnung liegen."))

    def payer_details(self) -> dict:
        """The four fields as the prescription stores them (no date: None, no number: "")."""
        return {name: getattr(self, name).data or (None if name.endswith("_on") else "") for name in PAYER_DETAILS}


class PrescriptionForm(_PayerDetails):
    """A new prescription. The units and months start as the kind's usual ones (the page's script
    switches them with the kind); left empty, they are the kind's usual ones."""

    kind = SelectField(_l("Art"), validators=[DataRequired(_KIND)], invalid_choice_message=_KIND)
    units_approved = IntegerField(_l("Genehmigte Einheiten"), invalid_value_message=A_NUMBER,
                                  validators=[Optional(), NumberRange(min=1, max=500)])
    valid_months = IntegerField(_l("Gültig (Monate ab der ersten Teilnahme)"), invalid_value_message=A_NUMBER,
                                validators=[Optional(), NumberRange(min=1, max=60)])
    payer = StringField(_l("Kostenträger"), validators=[Length(max=120, message=AT_MOST)], filters=[strip])

    def __init__(self, *args, kinds=(), **kwargs):
        """``kinds``: the course kinds of the person's groups; exactly one is preselected."""
        super().__init__(*args, **kwargs)
        self.kind.choices = [please_choose()] + [
            SelectChoice(kind.value, kind.label, render_kw={"data-units": PRESCRIPTION_DEFAULTS[kind][0],
                                                            "data-months": PRESCRIPTION_DEFAULTS[kind][1]})
            for kind in CourseKind]
        kinds = set(kinds)
        if kwargs.get("formdata", True) is None and len(kinds) == 1:
            (kind,) = kinds
            self.kind.data = kind.value
            self.units_approved.data, self.valid_months.data = PRESCRIPTION_DEFAULTS[kind]

    def terms(self) -> tuple[int, int]:
        """The units and months to store: as typed, else the kind's usual ones."""
        units, months = PRESCRIPTION_DEFAULTS[CourseKind(self.kind.data)]
        return self.units_approved.data or units, self.valid_months.data or months


class PrescriptionEditForm(_PayerDetails):
    """Correcting a prescription: its kind stays (check-ins were counted under it)."""

    units_approved = IntegerField(_l("Genehmigte Einheiten"), invalid_value_message=A_NUMBER,
                                  validators=[InputRequired(A_NUMBER), NumberRange(min=1, max=500)])
    valid_months = IntegerField(_l("Gültig (Monate ab der ersten Teilnahme)"), invalid_value_message=A_NUMBER,
                                validators=[InputRequired(A_NUMBER), NumberRange(min=1, max=60)])
    payer = PrescriptionForm.payer


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Grund der Stornierung"),
                           validators=[DataRequired(_l("Bitte geben Sie einen Grund für die Stornierung an.")),
                                       Length(max=300, message=AT_MOST)], filters=[strip])


class MoveForm(FlaskForm):
    course_id = SelectField(_l("Anderer Termin am selben Tag"), coerce=optional_id,
                            validators=[DataRequired(_l("Bitte wählen Sie einen Termin."))],
                            invalid_choice_message=_l("Bitte wählen Sie einen Termin."),
                            invalid_value_message=_l("Bitte wählen Sie einen Termin."))
    springer_reason = _SignedCheckIn.springer_reason
    extra_reason = _SignedCheckIn.extra_reason

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = [please_choose()] + choices((c.id, f"{c.start_time:%H:%M} – {c.name}")
                                                             for c in courses)


class ResolveForm(FlaskForm):
    """Resolving a check-in from "Zu klären": take it (with a reason where the rules ask) or not (with a note)."""

    springer_reason = _SignedCheckIn.springer_reason
    extra_reason = _SignedCheckIn.extra_reason
    note = TextAreaField(_l("Warum nicht zählen?"), validators=[Length(max=300, message=AT_MOST)], filters=[strip])


_COURSE_GROUP = _l("Bitte wählen Sie eine Kursgruppe.")


class MembershipForm(FlaskForm):
    course_id = SelectField(_l("Kursgruppe"), coerce=optional_id, validators=[InputRequired(_COURSE_GROUP)],
                            invalid_choice_message=_COURSE_GROUP, invalid_value_message=_COURSE_GROUP)

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = [please_choose()] + choices(
            (c.id, f"{c.name} ({c.kind.label}, {weekday_filter(c.weekday)} {c.start_time:%H:%M})") for c in courses)


class DataExportForm(FlaskForm):
    """"Datenauskunft" as JSON (also without a choice) or as PDF; anything else is no valid request."""

    format = SelectField(choices=choices([("json", "JSON"), ("pdf", "PDF")]), default="json")


class ErasureForm(FlaskForm):
    """"Löschen" with its tick: without it nothing is erased."""

    bestaetigt = StringField()

    @property
    def ticked(self) -> bool:
        return self.bestaetigt.data == "ja"


class ImportForm(FlaskForm):
    """A CSV file to check, or the checked content (base64) sent back with "Importieren"."""

    datei = FileField()
    inhalt = HiddenField(default="")
    importieren = StringField()

    @property
    def to_save(self) -> bool:
        """"Importieren" pressed on a preview (a new upload is only checked)."""
        return not self.datei.data and self.importieren.data == "ja"
