"""Writing audit events. Callers add the event to the change's session and commit once."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from ..extensions import db
from .models import AuditEvent

SYSTEM_ACTOR = "System"


def apply_changes(row, values: dict[str, Any]) -> dict[str, list]:
    """Set on the row those ``values`` that differ from what it holds; each changed field with
    [old, new], for the log (a caller that must not log old values keeps only the names)."""
    changes = {name: [getattr(row, name), value] for name, value in values.items() if getattr(row, name) != value}
    for name, (_old, value) in changes.items():
        setattr(row, name, value)
    return changes


def record(
    action: str,
    *,
    group_id: int | None,
    therapist_id: int | None = None,
    details: dict[str, Any] | None = None,
    actor=None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction; it lands only if the change commits.

    The actor defaults to the signed-in portal user; jobs and CLI commands name themselves
    through ``actor_label``.
    """
    if actor is None and actor_label is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEvent(
        action=action,
        group_id=group_id,
        therapist_id=therapist_id,
        details=details or {},
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else (actor_label or SYSTEM_ACTOR),
        actor_role=actor.role if actor is not None else None,
    )
    db.session.add(entry)
    return entry
