"""Withdrawing a therapist's authorisation and managing licences (support, and a chef for their group)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, literal_column, select, text, union, update

from ..api.models import Device
from ..audit.services import record
from ..codes.models import CodeRequest, Delivery
from ..extensions import db
from ..groups.models import Licence, LicenceKind, PracticeGroup
from ..therapists.models import Therapist
from ..timeutil import utcnow


def withdraw_authorisation(therapist: Therapist, reason: str, actor) -> dict:
    """"Berechtigung entziehen": untick App aktivieren, void every open code and revoke every
    device session, so each device's next contact gets ``revoked`` with ``wipe: true`` and only
    a new code signs in again. The caller commits."""
    now = utcnow()
    was_enabled = therapist.app_enabled
    therapist.app_enabled = False
    codes = db.session.execute(
        update(CodeRequest)
        .where(CodeRequest.therapist_id == therapist.id, CodeRequest.used_at.is_(None),
               CodeRequest.superseded_at.is_(None))
        .values(superseded_at=now, delivery=case(
            (CodeRequest.delivery.in_([Delivery.PENDING, Delivery.QUEUED, Delivery.RETRYING]), Delivery.CANCELLED),
            else_=CodeRequest.delivery))
        .execution_options(synchronize_session=False)
    ).rowcount
    devices = db.session.execute(
        update(Device)
        .where(Device.therapist_id == therapist.id, Device.revoked_at.is_(None), Device.signed_out_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    summary = {"name": therapist.full_name, "reason": reason, "app_was_enabled": was_enabled,
               "codes_voided": codes, "devices_revoked": devices}
    record("therapist.authorisation_withdrawn", group_id=therapist.group_id, therapist_id=therapist.id,
           details=summary, actor=actor)
    return summary


def set_licence(group: PracticeGroup, kind: LicenceKind, valid_from: date, valid_until: date | None, actor) -> None:
    """Create or change one licence of a group (support only). The caller commits."""
    licence = group.licence(kind)
    before = None if licence is None else [str(licence.valid_from), str(licence.valid_until or "")]
    if licence is None:
        licence = Licence(kind=kind, valid_from=valid_from, valid_until=valid_until)
        group.licences.append(licence)
    licence.valid_from, licence.valid_until = valid_from, valid_until
    record("licence.updated", group_id=group.id, actor=actor,
           details={"kind": str(kind), "before": before, "after": [str(valid_from), str(valid_until or "")]})


SEARCH_INDEX_OBJECTS = {"therapist_search", "ix_therapist_search_trgm"}  # made by migration 0002


def matching_ids(needle: str):
    """Therapist ids whose "vorname nachname e-mail" contains ``needle``, through the substring
    index of migration 0002 (FTS5 trigram on SQLite, pg_trgm on PostgreSQL)."""
    pattern = f"%{needle}%"
    if db.engine.dialect.name == "sqlite":
        return select(literal_column("rowid")).select_from(text("therapist_search")).where(
            literal_column("search_text").like(pattern))
    return select(Therapist.id).where(Therapist.search_text.like(pattern))


def search(term: str, limit: int = 25) -> list:
    """Therapists of every group whose name or e-mail, group or practice contains the term."""
    from ..groups.models import Practice
    from ..therapists.models import therapist_practice

    needle = term.casefold().strip().replace("%", "").replace("_", "")
    if len(needle) < 2:
        return []
    if len(needle) < 3:  # a trigram index needs three characters; two still work, by a scan
        by_text = select(Therapist.id).where(Therapist.search_text.like(f"%{needle}%"))
    else:
        by_text = matching_ids(needle)
    by_group = select(Therapist.id).join(PracticeGroup, PracticeGroup.id == Therapist.group_id).where(
        PracticeGroup.name.ilike(f"%{needle}%"))
    by_practice = select(therapist_practice.c.therapist_id).join(
        Practice, Practice.id == therapist_practice.c.practice_id).where(Practice.name.ilike(f"%{needle}%"))
    ids = union(by_text, by_group, by_practice).subquery()
    query = (
        select(Therapist, PracticeGroup.name)
        .join(PracticeGroup, PracticeGroup.id == Therapist.group_id)
        .where(Therapist.id.in_(select(ids.c[0])))
        .order_by(Therapist.last_name, Therapist.first_name, Therapist.id)
        .limit(limit)
    )
    return db.session.execute(query).all()
