"""Development only: read the mails the SMTP sink of ``bin/run`` received, text and HTML. A
practice's users see the mails of their own group (matched through the mail log's Message-IDs),
support sees every mail."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import AccountMail
from ..auth.models import Role
from ..auth.permissions import Permission, can, requires
from ..codes.models import CodeRequest
from ..extensions import db

bp = Blueprint("mail_viewer", __name__, url_prefix="/dev/mails")
NAME = re.compile(r"^[0-9T]+-[0-9a-f]{8}\.eml$")


def _folder() -> Path:
    return Path(current_app.config.get("MAIL_SINK_DIR") or Path(current_app.instance_path) / "mail-sink")


def _ours(message_ids: list[str]) -> set[str]:
    """Which of these mails the signed-in user may read: support all; others their group's code mails,
    and (a chef) the group's mails to portal users, so the demo's invitations can be followed."""
    if current_user.role == Role.SUPPORT:
        return set(message_ids)
    ours = set(db.session.scalars(select(CodeRequest.message_id).where(
        CodeRequest.message_id.in_(message_ids), CodeRequest.group_id == current_user.group_id)))
    if can(current_user, Permission.MANAGE_USERS):
        ours |= set(db.session.scalars(select(AccountMail.message_id).where(
            AccountMail.message_id.in_(message_ids), AccountMail.group_id == current_user.group_id)))
    return ours


def _load(name: str):
    """One mail of the sink, or 404 (also when it belongs to another group)."""
    if not NAME.match(name):
        abort(404)
    path = _folder() / name
    if not path.is_file():
        abort(404)
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    if str(message["Message-ID"] or "") not in _ours([str(message["Message-ID"] or "")]):
        abort(404)
    return message


@bp.get("")
@requires(Permission.READ_DEV_MAILS)
def index():
    files = sorted(_folder().glob("*.eml"), reverse=True)[:200] if _folder().is_dir() else []
    messages = [(path, message_from_bytes(path.read_bytes(), policy=policy.default)) for path in files]
    ours = _ours([str(message["Message-ID"] or "") for _path, message in messages])
    mails = [{"name": path.name, "to": message["To"], "subject": message["Subject"], "date": message["Date"]}
             for path, message in messages if str(message["Message-ID"] or "") in ours][:100]
    return render_template("devtools/mails.html", mails=mails, folder=_folder())


@bp.get("/<name>")
@requires(Permission.READ_DEV_MAILS)
def show(name: str):
    message = _load(name)
    text = message.get_body(preferencelist=("plain",))
    return render_template("devtools/mail.html", name=name, message=message,
                           text=text.get_content() if text else "", has_html=message.get_body(("html",)) is not None)


@bp.get("/<name>/html")
@requires(Permission.READ_DEV_MAILS)
def html(name: str):
    """The HTML part on its own, for a sandboxed iframe: no scripts, no remote loads."""
    part = _load(name).get_body(preferencelist=("html",))
    if part is None:
        abort(404)
    return part.get_content(), 200, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                   "frame-ancestors 'self'; sandbox",
        "X-Frame-Options": "SAMEORIGIN",
    }
