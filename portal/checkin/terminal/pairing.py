"""Registering check-in terminals, pairing them by code or QR code, and recognising them."""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

import segno
from flask import request, url_for
from sqlalchemy import select

from ...audit.services import record
from ...extensions import db
from ...timeutil import utcnow
from ..models import Terminal

COOKIE = "terminal"
PAIRING_VALID = timedelta(hours=24)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _hash(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


@dataclass(frozen=True)
class Pairing:
    """Shown once after registering: the code, the pairing address and its QR code as a PNG."""

    code: str
    url: str
    qr_png_base64: str


def new_pairing(terminal: Terminal) -> Pairing:
    """Give the terminal a fresh pairing code (valid 24 hours, stored hashed). The caller commits."""
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    terminal.pairing_hash = _hash(code)
    terminal.pairing_expires_at = utcnow() + PAIRING_VALID
    url = url_for("terminal.pair", code=code, _external=True)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return Pairing(code, url, base64.b64encode(buffer.getvalue()).decode())


def register(group_id: int, name: str, key: str, actor) -> tuple[Terminal, Pairing]:
    terminal = Terminal(group_id=group_id, name=name, terminal_key=key)
    db.session.add(terminal)
    db.session.flush()
    pairing = new_pairing(terminal)
    record("terminal.registered", group_id=group_id, actor=actor, details={"terminal_id": terminal.id,
                                                                           "name": name, "key": key})
    return terminal, pairing


def revoke(terminal: Terminal, actor) -> None:
    """Lock the terminal: from now on it hands over nothing; what it still tries is only counted."""
    terminal.revoked_at = utcnow()
    terminal.pairing_hash = None
    terminal.refused_after_lock, terminal.last_refused_at = 0, None
    record("terminal.revoked", group_id=terminal.group_id, actor=actor,
           details={"terminal_id": terminal.id, "name": terminal.name})


def reopen(terminal: Terminal, actor) -> Pairing:
    """A locked terminal paired anew (the same tablet found again, say): the lock is lifted only for
    whoever enters the new code; the old pairing stays dead. The caller commits."""
    terminal.revoked_at = None
    terminal.token_hash = terminal.paired_at = None
    record("terminal.reopened", group_id=terminal.group_id, actor=actor,
           details={"terminal_id": terminal.id, "name": terminal.name})
    return new_pairing(terminal)


def pair(code: str) -> tuple[Terminal, str] | None:
    """Exchange a pairing code for the terminal's token (set as a cookie by the caller)."""
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    if not code:
        return None
    terminal = db.session.scalar(select(Terminal).where(Terminal.pairing_hash == _hash(code)))
    if terminal is None or terminal.locked or terminal.pairing_expires_at < utcnow():
        return None
    token = secrets.token_urlsafe(32)
    terminal.token_hash, terminal.paired_at = _hash(token), utcnow()
    terminal.pairing_hash = terminal.pairing_expires_at = None
    record("terminal.paired", group_id=terminal.group_id, actor_label=f"Terminal {terminal.name}",
           details={"terminal_id": terminal.id})
    return terminal, token


def current_terminal() -> Terminal | None:
    """The paired terminal of this request's cookie (the caller refuses a revoked one)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    return db.session.scalar(select(Terminal).where(Terminal.token_hash == _hash(token)))
