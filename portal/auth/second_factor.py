"""The second factor: an authenticator app (TOTP, pyotp) with ten single-use recovery codes."""

from __future__ import annotations

import base64
import hmac
import io
import secrets

import pyotp
import segno
from sqlalchemy import delete, select, update

from ..extensions import db
from ..timeutil import utcnow
from .models import RecoveryCode, User
from .tokens import keyed_hash

ISSUER = "Therapeuten-App-Portal"
RECOVERY_CODES = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_secret() -> str:
    return pyotp.random_base32()


def key_for_typing(secret: str) -> str:
    """The key as a person types it into an app: groups of four."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_code_png(user: User, secret: str) -> str:
    """The ``otpauth://`` link as a QR code, a PNG in base64, for the authenticator app to scan."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=6, border=2)
    return base64.b64encode(buffer.getvalue()).decode()


def _digits(code: str) -> str:
    return "".join(char for char in code if not char.isspace())


def totp_step(secret: str, code: str, after: int | None = None) -> int | None:
    """The time step whose code this is (the current one, or one before or after for a clock a little
    off), if later than ``after``: a code counts once. None when it does not match."""
    code = _digits(code)
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(utcnow())
    for step in (now_step - 1, now_step, now_step + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_totp(user: User, code: str) -> bool:
    """A code of the user's app, not used before; marks its step used (the caller commits)."""
    if not user.totp_secret:
        return False
    step = totp_step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def _normalised(code: str) -> str:
    return "".join(char for char in code.upper() if char.isalnum())


def new_recovery_codes(user: User) -> list[str]:
    """Ten new codes (earlier ones void), shown once; only their keyed hashes are stored."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        plain = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{plain[:5]}-{plain[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=keyed_hash("recovery", f"{user.id}:{plain}")))
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one of the user's recovery codes; a code works once (the caller commits)."""
    plain = _normalised(code)
    if len(plain) != 10:
        return False
    used = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == keyed_hash("recovery", f"{user.id}:{plain}"),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    return used == 1


def recovery_codes_left(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                              RecoveryCode.used_at.is_(None))).all())


def remove_app(user: User) -> None:
    """Forget the authenticator app and its recovery codes. The caller commits."""
    user.totp_secret = user.totp_added_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def remove_all(user: User) -> None:
    """Forget every second factor of the user (app, recovery codes, passkeys). The caller commits."""
    remove_app(user)
    user.passkeys.clear()
