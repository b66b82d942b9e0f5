"""Support's search across every group."""

from __future__ import annotations

from sqlalchemy import literal_column, select, text, union

from ..extensions import db
from ..groups.models import Practice, PracticeGroup
from ..therapists.models import Therapist, therapist_practice

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
