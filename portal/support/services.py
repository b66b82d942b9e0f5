"""Support's search across every group."""

from __future__ import annotations

from sqlalchemy import literal_column, select, text, union

from ..columns import LIKE_ESCAPE, contains
from ..extensions import db
from ..tenancy import Practice, PracticeGroup, Therapist, therapist_practice

SEARCH_INDEX_OBJECTS = {"therapist_search", "ix_therapist_search_trgm"}  # made by migration 0002


def matching_ids(needle: str):
    """Therapist ids whose "vorname nachname e-mail" contains ``needle`` (casefolded), through
    the substring index of migration 0002 (FTS5 trigram on SQLite, pg_trgm on PostgreSQL). A
    needle with ``%`` or ``_`` (``max_muster@…``) is matched literally."""
    pattern = contains(needle)
    if db.engine.dialect.name == "sqlite":  # the trigram index serves LIKE only without an ESCAPE clause
        column = literal_column("search_text")
        return select(literal_column("rowid")).select_from(text("therapist_search")).where(
            column.like(pattern) if pattern == f"%{needle}%" else column.like(pattern, escape=LIKE_ESCAPE))
    return select(Therapist.id).where(Therapist.search_text.like(pattern, escape=LIKE_ESCAPE))


def _named(model, needle: str) -> list[int]:
    """Ids of the groups or practices whose name contains the casefolded needle. Compared here, not
    in SQL: SQLite lowers only A–Z, so "Ärztehaus" or "Straße" would be missed there."""
    return [row_id for row_id, name in db.session.execute(select(model.id, model.name)) if needle in name.casefold()]


def search(term: str, limit: int = 25) -> list:
    """Therapists of every group whose name or e-mail, group or practice contains the term."""
    needle = term.casefold().strip()
    if len(needle) < 2:
        return []
    if len(needle) < 3:  # a trigram index needs three characters; two still work, by a scan
        by_text = select(Therapist.id).where(Therapist.search_text.like(contains(needle), escape=LIKE_ESCAPE))
    else:
        by_text = matching_ids(needle)
    by_group = select(Therapist.id).where(Therapist.group_id.in_(_named(PracticeGroup, needle)))
    by_practice = select(therapist_practice.c.therapist_id).where(
        therapist_practice.c.practice_id.in_(_named(Practice, needle)))
    ids = union(by_text, by_group, by_practice).subquery()
    query = (
        select(Therapist, PracticeGroup.name)
        .join(PracticeGroup, PracticeGroup.id == Therapist.group_id)
        .where(Therapist.id.in_(select(ids.c[0])))
        .order_by(Therapist.sort_last, Therapist.sort_first, Therapist.id)
        .limit(limit)
    )
    return db.session.execute(query).all()
