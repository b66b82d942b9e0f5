"""Signing portal users in."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow
from .models import User

# Checked against when the e-mail is unknown, so both paths cost one slow hash.
_DUMMY_HASH = generate_password_hash("no-such-user-password")


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (in similar time either way)."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` only when it is a path on this site (no scheme, no host, no //)."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
