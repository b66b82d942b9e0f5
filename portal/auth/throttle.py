"""Throttling the doors of the portal per client and per account, without letting anyone lock
out someone else for good: a browser that has signed in as an account before carries a signed
"known device" cookie, and its sign-ins for that account count against neither limit. A guesser
elsewhere can slow down an account only on new browsers, and only for the window."""

from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from redis.exceptions import RedisError
from sqlalchemy import func, select

from ..audit.services import record
from ..extensions import db
from .models import User

COOKIE = "portal_known"
KNOWN_PER_BROWSER = 5  # accounts a shared browser remembers


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="known-device")


def known_accounts() -> list[int]:
    try:
        ids = _serializer().loads(request.cookies.get(COOKIE, ""))
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def remember_device(response, user: User):
    """After a full sign-in: this browser is known for the account (one year)."""
    ids = [user.id] + [i for i in known_accounts() if i != user.id]
    response.set_cookie(COOKIE, _serializer().dumps(ids[:KNOWN_PER_BROWSER]), max_age=365 * 24 * 3600,
                        httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def typed_email() -> str:
    return (request.form.get("email") or "").strip().casefold()[:254]


def account_key() -> str:
    """The per-account limit's key: the address typed (known or not, so it reveals nothing)."""
    return "account:" + typed_email()


def from_known_device() -> bool:
    """Whether this browser signed in as the typed account before (exempt from the limits)."""
    ids = known_accounts()
    if not ids:
        return False
    user_id = db.session.scalar(select(User.id).where(func.lower(User.email) == typed_email()))
    return user_id is not None and user_id in ids


def count_failure(user: User) -> None:
    """A wrong password for an existing account: the audit log hears of it once the failures in a
    window reach the threshold (Redis counts; without Redis nothing is lost but the note)."""
    threshold = current_app.config["SIGN_IN_FAILURE_AUDIT_THRESHOLD"]
    key = f"portal-sign-in-failures:{user.id}"
    try:
        pipe = current_app.redis.pipeline()
        pipe.set(key, 0, ex=15 * 60, nx=True)  # the window starts with the first failure
        pipe.incr(key)
        count = pipe.execute()[1]
    except RedisError:
        return
    if count == threshold:
        record("user.sign_in_failures", group_id=user.group_id, actor_label=request.remote_addr or "unbekannt",
               details={"user_id": user.id, "email": user.email, "failures": count})
