"""Portal users of a group: create and (de)activate, each change audited."""

from __future__ import annotations

from sqlalchemy import func, select

from ..audit.services import record
from ..auth.models import Role, User
from ..extensions import db


def email_taken(email: str) -> bool:
    return db.session.scalar(select(User.id).where(func.lower(User.email) == email.lower())) is not None


def create_user(email: str, role: Role | str, password: str, group_id: int | None) -> User:
    """Create a portal user; the caller commits."""
    user = User(email=email.lower(), role=str(role), group_id=group_id, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.created", group_id=group_id, details={"user_id": user.id, "email": user.email, "role": user.role})
    return user


def set_user_active(user: User, active: bool) -> None:
    if user.active == active:
        return
    user.active = active
    record(
        "user.activated" if active else "user.deactivated",
        group_id=user.group_id,
        details={"user_id": user.id, "email": user.email},
    )
