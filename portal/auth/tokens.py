"""Secrets that stand for a person for a while (a session, a link in a mail, a recovery code):
random from ``secrets``, stored only as a keyed hash, looked up by that hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def keyed_hash(purpose: str, value: str) -> bytes:
    """HMAC-SHA256 of ``value`` with a key of its own per purpose, derived from SECRET_KEY (a stolen
    database alone cannot turn a stored hash into a working link)."""
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), f"token-{purpose}-v1".encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).digest()
