"""Generating access codes and their keyed hashes. The plain code never leaves memory here."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app


def _key() -> bytes:
    configured = current_app.config.get("ACCESS_CODE_SECRET")
    if configured:
        return configured.encode()
    # a key of its own, derived from SECRET_KEY, so a leaked session key alone is not the code key
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"access-code-hmac-v1", hashlib.sha256).digest()


def new_code() -> str:
    """A code of ACCESS_CODE_LENGTH decimal digits from ``secrets``; leading zeros allowed."""
    length = current_app.config["ACCESS_CODE_LENGTH"]
    return f"{secrets.randbelow(10 ** length):0{length}d}"


def code_hash(request_id: int, code: str) -> bytes:
    """HMAC-SHA256 of the code, bound to its request so equal codes hash differently."""
    return hmac.new(_key(), f"{request_id}:{code}".encode(), hashlib.sha256).digest()


def matches(stored: bytes | None, request_id: int, code: str) -> bool:
    """Constant-time comparison of a typed code with a stored hash."""
    computed = code_hash(request_id, code)
    return stored is not None and hmac.compare_digest(bytes(stored), computed)
