"""The practice's terminals: registered with a pairing code, locked, or paired anew."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from ...auth.permissions import Permission, get_or_404, requires
from ...extensions import db
from ...forms import ConfirmForm, confirmed_or_400
from ...tenancy import LicenceKind, PracticeGroup
from ...web import page_or_fragment
from ..forms import TerminalForm
from ..models import Terminal
from ..queries import group_terminals
from ..terminal import pairing
from .blueprint import bp


def _terminals(form=None, status: int = 200, pairing_shown=None, message: str | None = None):
    group = db.session.get(PracticeGroup, current_user.group_id)
    return page_or_fragment("checkin/terminals.html", "checkin/_terminals.html", status,
                            terminals=group_terminals(group.id),
                            form=form or TerminalForm(formdata=None, group_id=group.id), pairing=pairing_shown,
                            licensed=group.has_licence(LicenceKind.CHECKIN), confirm_form=ConfirmForm(),
                            message=message)


@bp.get("/terminals")
@requires(Permission.MANAGE_TERMINALS)
def terminal_list():
    return _terminals()


@bp.post("/terminals")
@requires(Permission.MANAGE_TERMINALS)
def register_terminal():
    """"Terminal hinzufügen": name and id; the pairing code and QR code are shown once."""
    group = db.session.get(PracticeGroup, current_user.group_id)
    form = TerminalForm(group_id=group.id)
    if not group.has_licence(LicenceKind.CHECKIN):
        return _terminals(form, 422)
    if not form.validate_on_submit():
        return _terminals(form, 422)
    terminal, shown = pairing.register(group.id, form.name.data, form.key.data, current_user)
    db.session.commit()
    return _terminals(pairing_shown=shown, message=_("Terminal „%(name)s“ ist registriert.", name=terminal.name))


@bp.post("/terminals/<int:terminal_id>/<any(sperren, koppeln):action>")
@requires(Permission.MANAGE_TERMINALS)
def terminal_action(terminal_id: int, action: str):
    """"Sperren" locks the terminal; "Koppeln" shows a new pairing code (and lifts a lock)."""
    terminal = get_or_404(Terminal, terminal_id)
    confirmed_or_400()
    if action == "sperren":
        pairing.revoke(terminal, current_user)
        db.session.commit()
        return _terminals(message=_("Terminal „%(name)s“ ist gesperrt.", name=terminal.name))
    locked = terminal.locked
    shown = pairing.reopen(terminal, current_user) if locked else pairing.new_pairing(terminal)
    db.session.commit()
    return _terminals(pairing_shown=shown, message=_("Terminal „%(name)s“ ist wieder freigegeben; koppeln Sie es mit "
                                                     "dem neuen Code.", name=terminal.name) if locked else None)
