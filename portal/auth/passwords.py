"""Passwords: the rules a new one must meet, and how they are stored. Argon2id (argon2-cffi);
hashes from before (Werkzeug's scrypt or pbkdf2) keep working and are upgraded at the next
sign-in. Common passwords are refused with zxcvbn: its list of 30,000 from real leaks, and its
estimate, which also sees a common word with a year or a keyboard row behind it."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from werkzeug.security import check_password_hash
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ..i18n import N_, translate

MIN_LENGTH = 12
MAX_LENGTH = 200
GOOD_ENOUGH = 3  # zxcvbn's score: "safely unguessable", at least 10^8 guesses
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


@lru_cache(maxsize=4)
def _hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(profiles, profile))


def hasher_profile() -> str:
    return current_app.config["PASSWORD_HASH_PROFILE"]


def hasher() -> PasswordHasher:
    """Argon2id with the configured profile (RFC 9106's low-memory one; the tests use a cheap one)."""
    return _hasher(hasher_profile())


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify(stored: str, password: str) -> tuple[bool, bool]:
    """(matches, should be stored anew): an old Werkzeug hash or weaker Argon2 parameters are
    replaced by the caller once the password is known to be right."""
    if stored.startswith("$argon2"):
        try:
            hasher().verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        return True, hasher().check_needs_rehash(stored)
    return check_password_hash(stored, password), True


def problem(password: str, email: str | None = None) -> str | None:
    """Why a new password is refused, in German; None when it is fine."""
    if len(password) < MIN_LENGTH:
        return translate(N_("Das Passwort muss mindestens %(min)s Zeichen lang sein."), min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return translate(N_("Das Passwort darf höchstens %(max)s Zeichen lang sein."), max=MAX_LENGTH)
    folded = password.casefold()
    local = (email or "").casefold().partition("@")[0]
    if len(local) >= 4 and local in folded:
        return translate(N_("Das Passwort darf Ihre E-Mail-Adresse nicht enthalten."))
    if folded in _COMMON or zxcvbn(password[:100], user_inputs=[email or ""])["score"] < GOOD_ENOUGH:
        return translate(N_("Dieses Passwort ist zu verbreitet und leicht zu erraten. Bitte wählen Sie ein anderes, "
                            "etwa einen Satz aus mehreren Wörtern."))
    return None
