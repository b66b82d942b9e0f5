"""The devices of a therapist in the portal: the list in the dialog, and ending one session."""

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.permissions import Permission, get_or_404, requires
from ..extensions import db
from ..forms import ConfirmForm, confirmed_or_400
from ..tenancy import Therapist
from .models import Device
from .services import devices_of, end_session

bp = Blueprint("devices", __name__, url_prefix="/therapeuten/<int:therapist_id>/geraete")


def _render(therapist: Therapist, message: str | None = None):
    return render_template("devices/_devices.html", therapist=therapist, devices=devices_of(therapist.id),
                           confirm_form=ConfirmForm(), devices_message=message)


@bp.get("")
@requires(Permission.VIEW_THERAPISTS)
def index(therapist_id: int):
    return _render(get_or_404(Therapist, therapist_id))


@bp.post("/<int:device_id>/beenden")
@requires(Permission.END_DEVICE_SESSIONS)
def end(therapist_id: int, device_id: int):
    therapist = get_or_404(Therapist, therapist_id)
    device = get_or_404(Device, device_id, therapist_id=therapist.id)
    confirmed_or_400()
    end_session(device, current_user)
    db.session.commit()
    return _render(therapist, _("Die Sitzung auf „%(name)s“ ist beendet. Beim nächsten Kontakt löscht die App ihre "
                                "Daten.", name=device.name))
