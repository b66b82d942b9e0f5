"""Portal users and their roles."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..columns import EnumText
from ..extensions import db
from ..i18n import N_, LabelledEnum, translate
from ..tenancy import PracticeGroup
from ..timeutil import UTCDateTime, utcnow
from . import passwords


class Role(LabelledEnum):
    CHEF = "chef", N_("Praxisleitung (chef)"), N_("Therapeuten, Benutzer, Praxen und Scripts")
    # the front desk, not the therapists who use the app: named so nobody mixes the two up
    THERAPEUT = "therapeut", N_("Empfang/Praxisteam"), N_("Therapeuten bearbeiten und Kurse einchecken")
    SUPPORT = "support", N_("Kundenservice"), N_("alle Praxisgruppen")

    def __init__(self, value: str, label: str, duty: str) -> None:
        self._duty = duty

    @property
    def duty(self) -> str:
        """What the role may do, for the role choice."""
        return translate(self._duty)


class User(UserMixin, db.Model):
    __tablename__ = "portal_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="", server_default="")  # "Claudia Sommer"
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(EnumText(Role))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # raised by a new password, a reset and a deactivation: every browser known for the account
    # (auth/throttle.py) counts as new again
    sign_in_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the authenticator app's shared secret (base32), set once its first code was right
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_added_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a code's time step is used once

    group: Mapped[PracticeGroup | None] = relationship()
    passkeys: Mapped[list[Passkey]] = relationship(back_populates="user", order_by="Passkey.id",
                                                   cascade="all, delete-orphan")

    @property
    def display_name(self) -> str:
        """How the portal names the person: their name, else (not entered yet) their address."""
        return self.name or self.email

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = passwords.hash_password(password)

    def forget_known_browsers(self) -> None:
        """Browsers that signed in as this account before count as new from now on (the caller commits)."""
        self.sign_in_epoch = (self.sign_in_epoch or 0) + 1

    def check_password(self, password: str) -> bool:
        """Whether the password is right; an old or weaker hash is replaced then (the caller commits)."""
        matches, renew = passwords.verify(self.password_hash, password)
        if matches and renew:
            self.set_password(password)
        return matches

    @property
    def has_second_factor(self) -> bool:
        return bool(self.totp_secret) or bool(self.passkeys)

    @property
    def second_factor_required(self) -> bool:
        """Support always; a practice group's users when their chef requires it."""
        return self.role == Role.SUPPORT or bool(self.group and self.group.require_second_factor)


class UserSession(db.Model):
    """A signed-in browser, checked on every request: ending it (or a reset, a deactivation,
    "Abmelden") takes effect on that browser's next request, whatever its cookie says."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    client: Mapped[str] = mapped_column(String(64), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """One of ten single-use codes for when the authenticator is lost; stored as a keyed hash."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(db.Model):
    """A WebAuthn credential (a passkey) of a user: its public key and signature counter."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="passkeys")
