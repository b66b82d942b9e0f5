"""Rate limits, in one place: a limit's size (a setting, read when it applies), whom it counts
(key functions) and which answers it counts (``deduct_when`` predicates). Every limited view
takes these from here; the sign-in doors (``auth/throttle.py``) build on them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import current_app, g, request
from flask_login import current_user

from .auth.tokens import keyed_hash


def setting(name: str) -> Callable[[], str]:
    """The limit configured under ``name`` (read per request: tests and deployments change it)."""
    return lambda: current_app.config[name]


# --- whom a limit counts ---------------------------------------------------------------------------

def client_address() -> str:
    """The client address (the app API's one budget)."""
    return request.remote_addr or "unknown"


def typed_email() -> str:
    """The address typed into the form, as the limits compare it."""
    return (request.form.get("email") or "").strip().casefold()[:254]


def typed_address() -> str:
    """The address typed, known or not (so it reveals nothing), as a keyed hash: no address is
    written to Redis."""
    return "account:" + keyed_hash("limit", typed_email()).hex()[:40]


def own_account() -> str:
    """The signed-in user (their own account's pages)."""
    return f"own-account:{current_user.get_id()}"


def cookie_holder(cookie: str, name: str) -> Callable[[], str]:
    """Who holds the ``cookie`` (its value hashed, as ``name``), else the client address."""
    def key() -> str:
        token = request.cookies.get(cookie)
        return f"{name}:" + hashlib.sha256(token.encode()).hexdigest() if token else "addr:" + (
            request.remote_addr or "?")
    return key


# --- which answers a limit counts ------------------------------------------------------------------

def failed_sign_in(response) -> bool:
    """A sign-in door's count: a wrong password or code, and any refusal but the limits' own."""
    return g.get("sign_in_failed", False) or response.status_code not in (200, 302, 429)


def unsuccessful(response) -> bool:
    """Anything but a successful POST (a link's page, the second factor's setup)."""
    return response.status_code not in (200, 302) or request.method != "POST"


def refused(response) -> bool:
    """A form the view refused (422), e.g. a wrong pairing code or an unknown participant."""
    return response.status_code == 422
