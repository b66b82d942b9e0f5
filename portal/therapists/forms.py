from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..extensions import db
from ..forms import AT_MOST, EmailAddress, MultiCheckboxField, choices, strip
from ..tenancy import Therapist


class TherapistForm(FlaskForm):
    first_name = StringField(
        _l("Vorname"),
        validators=[DataRequired(_l("Bitte geben Sie einen Vornamen ein.")),
                    Length(max=80, message=_l("Der Vorname darf höchstens %(max)d Zeichen lang sein."))],
        filters=[strip],
    )
    last_name = StringField(
        _l("Nachname"),
        validators=[DataRequired(_l("Bitte geben Sie einen Nachnamen ein.")),
                    Length(max=80, message=_l("Der Nachname darf höchstens %(max)d Zeichen lang sein."))],
        filters=[strip],
    )
    email = StringField(
        _l("E-Mail"),
        validators=[Optional(),
                    Length(max=254, message=_l("Die E-Mail-Adresse darf höchstens %(max)d Zeichen lang sein.")),
                    EmailAddress()],
    )
    practices = MultiCheckboxField(
        _l("Praxen"), coerce=int,
        invalid_choice_message=_l("Bitte wählen Sie nur Praxen Ihrer Praxisgruppe."),
        invalid_value_message=_l("Bitte wählen Sie nur Praxen Ihrer Praxisgruppe."),
    )
    app_enabled = BooleanField(_l("App aktivieren"))

    def __init__(self, *args, group, therapist=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._group = group
        self._therapist_id = therapist.id if therapist else None
        self._was_enabled = bool(therapist and therapist.app_enabled)
        self.practices.choices = choices((p.id, p.name) for p in group.practices)

    @classmethod
    def of(cls, group, therapist: Therapist, **kwargs) -> "TherapistForm":
        """The form filled with the therapist's stored values (and the request's, when posted)."""
        return cls(group=group, therapist=therapist, data={
            "first_name": therapist.first_name, "last_name": therapist.last_name, "email": therapist.email,
            "practices": [p.id for p in therapist.practices], "app_enabled": therapist.app_enabled}, **kwargs)

    def validate_email(self, field) -> None:
        if not field.data:
            return
        query = select(Therapist.id).where(
            Therapist.group_id == self._group.id, func.lower(Therapist.email) == field.data.lower()
        )
        if self._therapist_id is not None:
            query = query.where(Therapist.id != self._therapist_id)
        if db.session.scalar(query) is not None:
            raise ValidationError(
                _("Diese E-Mail-Adresse ist in Ihrer Praxisgruppe bereits einem anderen Therapeuten zugeordnet.")
            )

    def validate_app_enabled(self, field) -> None:
        if field.data and not (self.email.data or "").strip():
            raise ValidationError(_("Für die App wird eine E-Mail-Adresse benötigt."))
        missing = self._group.missing_app_licences() if field.data and not self._was_enabled else []
        if missing:
            raise ValidationError(_(
                "Die App kann nicht aktiviert werden: Ihrer Praxisgruppe fehlt eine gültige %(missing)s. "
                "Bitte wenden Sie sich an den Kundenservice.", missing=_(" und ").join(k.label for k in missing)))

    def to_data(self) -> dict:
        return {
            "first_name": self.first_name.data,
            "last_name": self.last_name.data,
            "email": self.email.data or None,
            "practice_ids": list(self.practices.data or []),
            "app_enabled": bool(self.app_enabled.data),
        }


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Grund"),
        validators=[DataRequired(_l("Bitte geben Sie einen Grund an.")), Length(max=500, message=AT_MOST)],
        filters=[strip],
    )
