"""What the test modules share: signing in, the dialog's form, activating a therapist, reading a
code out of its mail and its status, running the queued jobs, reading the audit log, counting rows,
and a signature as the pad sends it."""

from __future__ import annotations

import base64
import io
import re

import pyotp
from PIL import Image, ImageDraw
from rq import SimpleWorker
from sqlalchemy import func, select, update

from portal.codes.status import StatusKey, status_for
from portal.extensions import db
from portal.models import AuditEvent, Therapist, User
from portal.timeutil import utcnow

from .factories import PASSWORD, SUPPORT_TOTP_SECRET

HX = {"HX-Request": "true"}


def signature_pad_png(width: int = 900, height: int = 260) -> bytes:
    """A PNG as the signature pad sends it: a stroke on a canvas of the pad's size."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, height - 40), (width // 3, 30), (width - 20, height // 2)], fill="black", width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


SIGNATURE_PNG = signature_pad_png()
SIGNATURE_URL = "data:image/png;base64," + base64.b64encode(SIGNATURE_PNG).decode()  # as the form posts it
EMAIL = "anna.schmidt@praxis.example"  # Anna Schmidt of the `world` fixture
_CODE_LINE = re.compile(r"^\s{4}(\d{6})\s*$", re.M)


def totp_code(secret: str, app=None, email: str | None = None) -> str:
    """The authenticator app's current code. With ``app`` and ``email`` the user's used time step
    is forgotten first, so a test may sign in twice within one half minute."""
    if app is not None:
        with app.app_context():
            db.session.execute(update(User).where(User.email == email).values(totp_last_step=None))
            db.session.commit()
    return pyotp.TOTP(secret).at(utcnow())


def login(client, email: str, password: str = PASSWORD):
    """Sign the test client in through the sign-in form (and the second step, for an account with
    the tests' authenticator secret)."""
    response = client.post("/anmelden", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    if response.headers["Location"].endswith("/anmelden/bestaetigen"):
        code = totp_code(SUPPORT_TOTP_SECRET, client.application, email)
        response = client.post("/anmelden/bestaetigen", data={"code": code})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def signed_in(app, email: str):
    """A new test client of ``app``, signed in as ``email``."""
    client = app.test_client()
    login(client, email)
    return client


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def code_in(message) -> str:
    """The six-digit code of a code mail (its own indented line in the plain-text part)."""
    return _CODE_LINE.search(message.get_body(("plain",)).get_content()).group(1)


def dialog_form(app, therapist_id: int, **changes) -> dict:
    """The details dialog's fields as stored, with ``changes`` (None removes a field, e.g. an
    unticked "App aktivieren")."""
    with app.app_context():
        t = db.session.get(Therapist, therapist_id)
        data = {"first_name": t.first_name, "last_name": t.last_name, "email": t.email or "",
                "practices": [str(p.id) for p in t.practices]}
        if t.app_enabled:
            data["app_enabled"] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def save_dialog(app, client, therapist_id: int, expect: int = 200, **changes):
    """Press OK in the details dialog (through htmx) with these changes."""
    response = client.post(f"/therapeuten/{therapist_id}", headers=HX, data=dialog_form(app, therapist_id, **changes))
    assert response.status_code == expect, response.get_data(as_text=True)[:500]
    return response


def activate(app, client, therapist_id: int):
    """Tick "App aktivieren" and press OK."""
    return save_dialog(app, client, therapist_id, app_enabled="y")


def deactivate(app, client, therapist_id: int):
    return save_dialog(app, client, therapist_id, app_enabled=None)


def run_jobs(app) -> None:
    """Run every queued job in this process with a real RQ SimpleWorker, then return."""
    with app.app_context():
        SimpleWorker([app.task_queue], connection=app.redis).work(burst=True)


def status_key(app, therapist_id: int) -> StatusKey:
    """The therapist's code status, as the list's badge shows it."""
    with app.app_context():
        return status_for(therapist_id).key


def count_rows(app, model, *where, **equal) -> int:
    """How many rows of ``model`` match the SQL conditions ``where`` and the columns ``equal``."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where).filter_by(**equal))


def audit_actions(app, therapist_id: int | None = None) -> list[str]:
    with app.app_context():
        query = select(AuditEvent.action).order_by(AuditEvent.id)
        if therapist_id is not None:
            query = query.where(AuditEvent.therapist_id == therapist_id)
        return list(db.session.scalars(query))


def audit_entries(app, action: str | None = None) -> list[tuple]:
    """(action, actor label, actor role, group id, details) of every entry, oldest first."""
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return [(e.action, e.actor_label, e.actor_role, e.group_id, dict(e.details))
                for e in db.session.scalars(query)]


def register_and_pair(app, chef, key: str = "TAB-01"):
    """A terminal registered by the chef's client and paired by a fresh test client (the tablet)."""
    html = chef.post("/kurse/terminals", data={"name": "Tresen", "key": key}).get_data(as_text=True)
    code = re.search(r'<code id="pairing-code">([A-Z0-9]{8})</code>', html).group(1)
    qr = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(qr).startswith(b"\x89PNG")
    tablet = app.test_client()
    response = tablet.post("/terminal/koppeln", data={"code": code.lower()})
    assert response.status_code == 302 and "terminal=" in response.headers["Set-Cookie"]
    return tablet, code
