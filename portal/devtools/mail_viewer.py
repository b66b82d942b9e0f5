"""Development only: read the mails the SMTP sink of ``bin/run`` received, text and HTML."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template

from ..auth.permissions import Permission, requires

bp = Blueprint("mail_viewer", __name__, url_prefix="/dev/mails")
NAME = re.compile(r"^[0-9T]+-[0-9a-f]{8}\.eml$")


def _folder() -> Path:
    return Path(current_app.config.get("MAIL_SINK_DIR") or Path(current_app.instance_path) / "mail-sink")


def _load(name: str):
    if not NAME.match(name):
        abort(404)
    path = _folder() / name
    if not path.is_file():
        abort(404)
    return message_from_bytes(path.read_bytes(), policy=policy.default)


@bp.get("")
@requires(Permission.VIEW_THERAPISTS)
def index():
    files = sorted(_folder().glob("*.eml"), reverse=True)[:100] if _folder().is_dir() else []
    mails = []
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        mails.append({"name": path.name, "to": message["To"], "subject": message["Subject"], "date": message["Date"]})
    return render_template("devtools/mails.html", mails=mails, folder=_folder())


@bp.get("/<name>")
@requires(Permission.VIEW_THERAPISTS)
def show(name: str):
    message = _load(name)
    text = message.get_body(preferencelist=("plain",))
    return render_template("devtools/mail.html", name=name, message=message,
                           text=text.get_content() if text else "", has_html=message.get_body(("html",)) is not None)


@bp.get("/<name>/html")
@requires(Permission.VIEW_THERAPISTS)
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
