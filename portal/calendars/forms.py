from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, ValidationError

from ..schedule.forms import _practice, _practice_choices
from . import address as addresses
from .fetch import MAX_BYTES
from .messages import address_error

_ADDRESS_MISSING = _l("Bitte geben Sie die Adresse des Kalenders ein.")


class CalendarAddress:
    """Validator: a usable calendar address; the field's data becomes the normalised address."""

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        try:
            field.data = addresses.normalise(field.data, allow_private=addresses.allow_private_hosts())
        except addresses.AddressError as exc:
            raise ValidationError(address_error(exc.code)) from exc


class SubscribeForm(FlaskForm):
    address = StringField(_l("Kalenderadresse (iCal, .ics)"),
                          validators=[DataRequired(_ADDRESS_MISSING), CalendarAddress()])
    practice_id = _practice()

    def __init__(self, *args, practices=(), **kwargs):
        super().__init__(*args, **kwargs)
        _practice_choices(self.practice_id, practices)


class FileSize:
    """Validator: the upload is at most ``MAX_BYTES``; keeps its bytes in ``form.body``."""

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        body = field.data.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise ValidationError(_l("Die Datei ist größer als 5 MB."))
        if not body.strip():
            raise ValidationError(_l("Die Datei ist leer."))
        form.body = body


class UploadForm(FlaskForm):
    file = FileField(_l("Kalenderdatei (.ics)"), validators=[FileRequired(_l("Bitte wählen Sie eine .ics-Datei.")),
                                                              FileSize()])
    practice_id = _practice()
    body: bytes = b""

    def __init__(self, *args, practices=(), **kwargs):
        super().__init__(*args, **kwargs)
        _practice_choices(self.practice_id, practices)

    @property
    def filename(self) -> str:
        return (getattr(self.file.data, "filename", "") or "kalender.ics").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
