"""Participants from a CSV file: uploaded, previewed with every line checked, saved on "Importieren"."""

from __future__ import annotations

import base64

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ...auth.permissions import Permission, requires
from ...extensions import db
from ...forms import confirmed_or_400
from ...web import done
from .. import importer
from ..forms import ImportForm
from .blueprint import bp


@bp.route("/teilnehmer/import", methods=["GET", "POST"])
@requires(Permission.CHECK_IN)
def import_participants():
    """Upload, then a preview with every line checked; saved only with "Importieren"."""
    form = ImportForm()
    if request.method == "GET":
        return render_template("checkin/import.html", form=form, preview=None, content="")
    upload = confirmed_or_400(form).datei.data
    try:
        raw = upload.read(importer.MAX_BYTES + 1) if upload else base64.b64decode(form.inhalt.data or "")
        preview = importer.read(raw, current_user.group_id)
    except (importer.ImportRefused, ValueError) as refused:
        message = str(refused) if isinstance(refused, importer.ImportRefused) else _("Die Datei ließ sich nicht lesen.")
        return render_template("checkin/import.html", form=form, preview=None, content="", error=message), 422
    if not form.to_save:
        return render_template("checkin/import.html", form=form, preview=preview,
                               content=base64.b64encode(raw).decode())
    created = importer.save(preview, current_user.group_id, current_user)
    db.session.commit()
    return done(ngettext("%(num)s Teilnehmer importiert.", "%(num)s Teilnehmer importiert.", created),
                "success", url_for(".participants"))
