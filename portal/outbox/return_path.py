"""Where reports about a code mail come back to: the bounce address (MAIL_BOUNCE_ADDRESS), with a
tag naming the code request (VERP, ``local+<id>-<hmac>@domain``) that nobody can forge."""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app

TAG = r"(\d{1,19})-([0-9a-f]{16})"  # the request's id and the first 16 hex digits of its HMAC


def _tag_mac(request_id: int) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"bounce-tag-v1", hashlib.sha256).digest()
    return hmac.new(key, str(request_id).encode(), hashlib.sha256).hexdigest()[:16]


def tag_for(request_id: int) -> str:
    """The tag naming a code request in a VERP address or a provider's metadata: id and HMAC."""
    return f"{request_id}-{_tag_mac(request_id)}"


def genuine(request_id: int, mac: str) -> bool:
    """Whether a tag's HMAC is the one this portal gave the request."""
    return hmac.compare_digest(mac, _tag_mac(request_id))


def tagged_id(tag: str) -> int | None:
    """The code request id a genuine tag names; None for no tag or a forged one."""
    match = re.fullmatch(TAG, tag or "")
    if match is None or not genuine(int(match.group(1)), match.group(2)):
        return None
    return int(match.group(1))


def bounce_address() -> str | None:
    """Where reports about code mails go back to: MAIL_BOUNCE_ADDRESS (VERP), else the sender."""
    return current_app.config.get("MAIL_BOUNCE_ADDRESS")


def envelope_sender(request_id: int) -> str | None:
    """The code mail's envelope sender with VERP, ``local+<id>-<hmac>@domain``; None without
    MAIL_BOUNCE_ADDRESS (reports then find their mail by the Message-ID they quote)."""
    address = bounce_address()
    if not address:
        return None
    local, _, domain = address.partition("@")
    return f"{local}+{tag_for(request_id)}@{domain}"
