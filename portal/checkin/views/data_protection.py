"""A participant's data under the DSGVO: the "Datenauskunft" (Art. 15) and erasure on request
(Art. 17), restricted instead while the billing proof must be kept."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...auth.permissions import Permission, get_or_404, requires
from ...extensions import db
from ...forms import confirmed_or_400
from ...i18n import date_filter
from ...web import done, json_download, pdf_download
from .. import pdfs, privacy
from ..forms import DataExportForm, ErasureForm
from ..models import Participant
from .blueprint import bp


@bp.post("/teilnehmer/<int:participant_id>/datenauskunft")
@requires(Permission.PARTICIPANT_PRIVACY)
def data_export(participant_id: int):
    """Everything stored about the participant as JSON or PDF (a POST: the export is audited)."""
    person = get_or_404(Participant, participant_id)
    fmt = confirmed_or_400(DataExportForm()).format.data
    data = privacy.export(person, current_user, fmt)
    db.session.commit()
    name = f"datenauskunft-teilnehmer-{person.id}.{fmt}"
    if fmt == "pdf":
        return pdf_download(pdfs.data_export(data, current_user.group.name), name)
    return json_download(data, name)


@bp.post("/teilnehmer/<int:participant_id>/loeschen")
@requires(Permission.PARTICIPANT_PRIVACY)
def erase_participant(participant_id: int):
    """Erasure on request; refused while the billing proof must be kept."""
    person = get_or_404(Participant, participant_id)
    if not confirmed_or_400(ErasureForm()).ticked:
        return done(_("Bitte bestätigen Sie das Löschen mit dem Häkchen."), "warning",
                    url_for(".participant", participant_id=person.id))
    name = person.full_name
    until = privacy.erase(person, current_user)
    db.session.commit()
    if until is not None:
        return done(_("%(name)s wird am %(date)s gelöscht, wenn die Aufbewahrungsfrist des Abrechnungsnachweises "
                      "endet; bis dahin ist die Verarbeitung eingeschränkt.", name=name, date=date_filter(until)),
                    "warning", url_for(".participant", participant_id=person.id))
    return done(_("Die Daten von %(name)s sind gelöscht.", name=name), "success", url_for(".participants"))
