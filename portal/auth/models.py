"""Portal users and their roles."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..columns import EnumText
from ..extensions import db
from ..groups.models import PracticeGroup
from ..i18n import N_, LabelledEnum, translate
from ..timeutil import UTCDateTime, utcnow


class Role(LabelledEnum):
    CHEF = "chef", N_("Praxisleitung (chef)"), N_("Therapeuten, Benutzer, Praxen und Scripts")
    THERAPEUT = "therapeut", N_("Praxisteam (therapeut)"), N_("Therapeuten bearbeiten und einchecken")
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
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(EnumText(Role))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[PracticeGroup | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
