"""Creating and changing therapists; each change writes its audit event in the same transaction."""

from __future__ import annotations

from sqlalchemy import select

from ..audit.services import record
from ..extensions import db
from ..groups.models import Practice
from .models import Therapist

FIELDS = ("first_name", "last_name", "email", "app_enabled")


def _practices(group_id: int, practice_ids: list[int]) -> list[Practice]:
    if not practice_ids:
        return []
    return list(
        db.session.scalars(
            select(Practice).where(Practice.group_id == group_id, Practice.id.in_(practice_ids))
        )
    )


def create_therapist(group_id: int, data: dict) -> Therapist:
    """Add a therapist to the group; the caller commits."""
    therapist = Therapist(group_id=group_id, **{f: data[f] for f in FIELDS})
    therapist.practices = _practices(group_id, data["practice_ids"])
    db.session.add(therapist)
    db.session.flush()
    record(
        "therapist.created",
        group_id=group_id,
        therapist_id=therapist.id,
        details={
            "name": therapist.full_name,
            "email": therapist.email,
            "practices": [p.name for p in therapist.practices],
            "app_enabled": therapist.app_enabled,
        },
    )
    if therapist.app_enabled:
        _authorisation_changed(therapist)
    return therapist


def update_therapist(therapist: Therapist, data: dict) -> dict:
    """Apply the dialog's values; returns the changes as {field: [old, new]} (empty: nothing to do).

    "App aktivieren" is compared like every other field, so ticking only the checkbox saves
    (the seed's release 2023.0.5.0 lost exactly that change).
    """
    changes: dict[str, list] = {}
    for name in FIELDS:
        old, new = getattr(therapist, name), data[name]
        if old != new:
            changes[name] = [old, new]
            setattr(therapist, name, new)
    old_practices = sorted(p.name for p in therapist.practices)
    new_practice_objs = _practices(therapist.group_id, data["practice_ids"])
    new_practices = sorted(p.name for p in new_practice_objs)
    if old_practices != new_practices:
        changes["practices"] = [old_practices, new_practices]
        therapist.practices = new_practice_objs
    if not changes:
        return changes
    db.session.flush()
    record(
        "therapist.updated",
        group_id=therapist.group_id,
        therapist_id=therapist.id,
        details={"name": therapist.full_name, "changes": changes},
    )
    if "app_enabled" in changes:
        _authorisation_changed(therapist)
    return changes


def _authorisation_changed(therapist: Therapist) -> None:
    """Record the authorisation change the spec's audit log asks for."""
    record(
        "therapist.app_activated" if therapist.app_enabled else "therapist.app_deactivated",
        group_id=therapist.group_id,
        therapist_id=therapist.id,
        details={"name": therapist.full_name, "email": therapist.email},
    )
