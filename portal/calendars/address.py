"""A calendar address is a secret: whoever holds a Google "secret address" or a published Outlook
link reads the calendar. It is checked and normalised once, stored encrypted with a key derived
from SECRET_KEY, recognised again by a keyed hash, and shown only as its host and a masked tail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

MAX_LENGTH = 2000
_WEBCAL = {"webcal": "https", "webcals": "https"}  # Apple's and Google's "subscribe" links
TAIL = 4  # characters of the address shown after its host
_SHORT = 12  # a path shorter than this shows no tail at all (it would give away most of it)


class AddressError(ValueError):
    """The address cannot be used; ``code`` names why (worded in calendars/messages.py)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def allow_private_hosts() -> bool:
    """Development and tests only (ProductionConfig refuses it): addresses on loopback or the LAN,
    and plain http, so the demo and the tests can serve a feed themselves."""
    return bool(current_app.config.get("CALENDAR_ALLOW_PRIVATE_HOSTS"))


def normalise(text: str, allow_private: bool = False) -> str:
    """The address as it will be fetched: ``webcal://`` becomes ``https://``, scheme and host in
    lower case. Raises AddressError for anything that is not an https address of a host, and for
    an IP literal in a private, loopback or link-local range (both allowed with ``allow_private``;
    a host name is checked after DNS resolution, when fetched)."""
    text = text.strip()
    if not text or len(text) > MAX_LENGTH or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise AddressError("address_invalid")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError as exc:
        raise AddressError("address_invalid") from exc
    scheme = _WEBCAL.get(parts.scheme.lower(), parts.scheme.lower())
    if scheme not in ("https", "http") or not host:
        raise AddressError("address_invalid")
    if scheme == "http" and not allow_private:
        raise AddressError("address_not_https")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not allow_private and not literal.is_global:
        raise AddressError("address_private")
    netloc = parts.netloc.rsplit("@", 1)
    netloc[-1] = netloc[-1].lower()
    return urlunsplit((scheme, "@".join(netloc), parts.path or "/", parts.query, ""))


def label(address: str) -> str:
    """What the page shows of an address: its host and the last few characters before a trailing
    ``….ics`` file name, e.g. ``calendar.google.com · …3f9a``."""
    parts = urlsplit(address)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    head, _, last = rest.rpartition("/")
    if last.lower().endswith(".ics") and head:
        rest = head
    host = parts.hostname or ""
    return f"{host} · …{rest[-TAIL:]}" if len(rest) >= _SHORT else host


def _key(purpose: bytes) -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


def encrypt(address: str) -> str:
    return Fernet(base64.urlsafe_b64encode(_key(b"portal calendar address v1"))).encrypt(address.encode()).decode()


def decrypt(token: str) -> str | None:
    """The stored address, or None when it cannot be read (SECRET_KEY was changed since)."""
    try:
        return Fernet(base64.urlsafe_b64encode(_key(b"portal calendar address v1"))).decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def digest(address: str) -> str:
    """A keyed hash of the address: the same calendar twice for one therapist is recognised
    without decrypting every stored address."""
    return hmac.new(_key(b"portal calendar address digest v1"), address.encode(), hashlib.sha256).hexdigest()
