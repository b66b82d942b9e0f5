"""The devices of a therapist in the portal: the list in the dialog, and ending one session."""

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from ..api.models import Device
from ..api.services import end_session
from ..auth.permissions import Permission, get_in_group_or_404, get_therapists_item_or_404, requires
from ..extensions import db
from ..schedule.forms import ConfirmForm
from ..therapists.models import Therapist

bp = Blueprint("devices", __name__, url_prefix="/therapeuten/<int:therapist_id>/geraete")


def devices_of(therapist_id: int) -> list[Device]:
    return list(db.session.scalars(select(Device).where(Device.therapist_id == therapist_id)
                                   .order_by(Device.signed_in_at.desc())))


@bp.get("")
@requires(Permission.VIEW_THERAPISTS)
def index(therapist_id: int):
    therapist = get_in_group_or_404(Therapist, therapist_id)
    return render_template("devices/_devices.html", therapist=therapist, devices=devices_of(therapist.id),
                           confirm_form=ConfirmForm())


@bp.post("/<int:device_id>/beenden")
@requires(Permission.END_DEVICE_SESSIONS)
def end(therapist_id: int, device_id: int):
    therapist, device = get_therapists_item_or_404(Device, device_id, therapist_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    end_session(device)
    db.session.commit()
    return render_template("devices/_devices.html", therapist=therapist, devices=devices_of(therapist.id),
                           confirm_form=ConfirmForm(),
                           message=_("Die Sitzung auf „%(name)s“ ist beendet. Beim nächsten Kontakt löscht die App "
                                     "ihre Daten.", name=device.name))
