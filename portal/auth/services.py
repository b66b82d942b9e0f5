"""Signing portal users in."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from sqlalchemy import func, select

from ..extensions import db
from . import passwords
from .models import User
from .throttle import count_failure


@lru_cache(maxsize=4)
def _dummy_hash(profile: str) -> str:
    return passwords.hash_password("no-such-user-password")


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (in similar time either way: an
    unknown address costs one slow hash too). A wrong password is counted for the audit log."""
    user = find_user(email)
    if user is None:
        passwords.verify(_dummy_hash(passwords.hasher_profile()), password)
        return None
    if not user.check_password(password):
        count_failure(user)
        return None
    return user if user.active else None


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` only when it is a path on this site (no scheme, no host, no //)."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
