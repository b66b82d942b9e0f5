"""Throttling the doors of the portal per client and per account, without handing a guesser a way
to lock the owner out (OWASP's "device cookies").

After a full sign-in the browser gets a signed cookie naming the account, the account's sign-in
epoch and an id of its own. A new password, a reset or a deactivation raises the epoch
(``User.forget_known_browsers``), which voids every such cookie of the account. At a door (the
password, the second step) a browser known for the account

- is not counted against its client address, so a practice behind one address is not locked out
  by one guesser there;
- is not held by the account's limit for new browsers, so a guesser elsewhere cannot lock its
  owner out;
- has a lockout of its own when it is used for failures, so a copied cookie guesses little;
- counts, like every browser, against the account's ceiling: a known browser raises the
  account's limit, it never lifts it.

What the limits count is a wrong password or code; a request the limits refused (429) counts
against nothing, so waiting the lock out is enough."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer
from redis.exceptions import RedisError
from sqlalchemy import func, select

from .. import limits
from ..audit.services import record
from ..extensions import db, limiter
from .models import User

COOKIE = "portal_known"
KNOWN_PER_BROWSER = 5  # accounts a shared browser remembers


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="known-browser")


def _entries() -> list[list]:
    """The cookie's (account id, epoch, browser id) entries, if its signature holds."""
    try:
        entries = _serializer().loads(request.cookies.get(COOKIE, ""))
    except BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries[:KNOWN_PER_BROWSER]
            if isinstance(entry, list) and len(entry) == 3 and type(entry[0]) is int and type(entry[1]) is int
            and isinstance(entry[2], str) and 0 < len(entry[2]) <= 40]


def known_browser(user: User | None) -> str | None:
    """This browser's id when it is known for ``user``: it signed in as them since their last new
    password, reset or deactivation, and they are active. None for any other browser."""
    if user is None or not user.active:
        return None
    return next((browser for user_id, epoch, browser in _entries()
                 if user_id == user.id and epoch == user.sign_in_epoch), None)


def remember_device(response, user: User):
    """After a full sign-in (or a new password set in this browser): this browser is known for the
    account, under a new id, for a year or until the account's next epoch."""
    entries = [[user.id, user.sign_in_epoch, secrets.token_urlsafe(16)]]
    entries += [entry for entry in _entries() if entry[0] != user.id]
    response.set_cookie(COOKIE, _serializer().dumps(entries[:KNOWN_PER_BROWSER]), max_age=365 * 24 * 3600,
                        httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def typed_account() -> tuple[str, User | None]:
    """The sign-in form's account: its limit key, and the user when the address has one."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == limits.typed_email()))
    return limits.typed_address(), user


@dataclass(frozen=True)
class Door:
    """A door of the sign-in and its limits (names of settings): ``new_browsers`` per account for
    browsers not known for it, ``known_browser`` per known browser, ``ceiling`` per account for
    all of them. ``account`` gives the account's limit key and its user (None: nobody known)."""

    name: str
    account: Callable[[], tuple[str, User | None]]
    new_browsers: str
    known_browser: str
    ceiling: str

    def _state(self) -> tuple[str, str | None]:
        cache = g.setdefault("throttle_doors", {})
        if self.name not in cache:
            key, user = self.account()
            cache[self.name] = (key, known_browser(user))
        return cache[self.name]

    def known(self) -> bool:
        return self._state()[1] is not None

    def unknown(self) -> bool:
        return not self.known()

    def account_key(self) -> str:
        return f"{self.name}:{self._state()[0]}"

    def ceiling_key(self) -> str:
        return f"{self.name}-all:{self._state()[0]}"

    def browser_key(self) -> str:
        return f"{self.name}-browser:{self._state()[1]}"

    def guard(self, view):
        """The door's limits on a view's POSTs: per client address and per account for new
        browsers, per known browser, and the account's ceiling for all."""
        setting, failed = limits.setting, limits.failed_sign_in
        guards = (
            limiter.limit(setting("LOGIN_FAILURE_LIMIT"), methods=["POST"], deduct_when=failed, exempt_when=self.known),
            limiter.limit(setting(self.new_browsers), methods=["POST"], key_func=self.account_key,
                          deduct_when=failed, exempt_when=self.known),
            limiter.limit(setting(self.known_browser), methods=["POST"], key_func=self.browser_key,
                          deduct_when=failed, exempt_when=self.unknown),
            limiter.limit(setting(self.ceiling), methods=["POST"], key_func=self.ceiling_key, deduct_when=failed),
        )
        for guard in reversed(guards):
            view = guard(view)
        return view


PASSWORD = Door("password", typed_account, "ACCOUNT_FAILURE_LIMIT", "DEVICE_FAILURE_LIMIT", "ACCOUNT_FAILURE_CEILING")


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
