"""Portal users of a group: (de)activation, the group's second-factor requirement, and the
command line's bootstrap account. Each change audited; a deactivation ends every session at once."""

from __future__ import annotations

from sqlalchemy import func, select

from ..audit.services import record
from ..auth import sessions
from ..auth.models import Role, User
from ..extensions import db
from ..tenancy import PracticeGroup


def email_taken(email: str) -> bool:
    return db.session.scalar(select(User.id).where(func.lower(User.email) == email.lower())) is not None


def create_user(email: str, role: Role | str, password: str, group_id: int | None) -> User:
    """A user with a password set by the command line (the very first support account, scripts).
    In the portal nobody sets another person's password: people are invited. The caller commits."""
    user = User(email=email.lower(), role=str(role), group_id=group_id, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.created", group_id=group_id, details={"user_id": user.id, "email": user.email, "role": user.role})
    return user


def set_user_active(user: User, active: bool) -> None:
    """Deactivating ends every session at once, and no browser stays known for the account (a
    reactivated user starts anew). The caller commits."""
    if user.active == active:
        return
    user.active = active
    if not active:
        user.forget_known_browsers()
    ended = 0 if active else sessions.end_all(user.id, "deaktiviert")
    record(
        "user.activated" if active else "user.deactivated",
        group_id=user.group_id,
        details={"user_id": user.id, "email": user.email, **({} if active else {"sessions_ended": ended})},
    )


def set_second_factor_required(group: PracticeGroup, required: bool) -> None:
    if group.require_second_factor == required:
        return
    group.require_second_factor = required
    record("group.second_factor_required" if required else "group.second_factor_optional", group_id=group.id,
           details={"name": group.name})
