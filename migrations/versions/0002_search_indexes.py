"""Substring search indexes for the support console: trigram indexes on PostgreSQL, an FTS5
trigram table kept in step by triggers on SQLite.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE therapist_search USING fts5(search_text, content='therapist', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER therapist_search_insert AFTER INSERT ON therapist BEGIN "
    "INSERT INTO therapist_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER therapist_search_delete AFTER DELETE ON therapist BEGIN "
    "INSERT INTO therapist_search(therapist_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER therapist_search_update AFTER UPDATE OF search_text ON therapist BEGIN "
    "INSERT INTO therapist_search(therapist_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO therapist_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO therapist_search(therapist_search) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS therapist_search_update",
    "DROP TRIGGER IF EXISTS therapist_search_delete",
    "DROP TRIGGER IF EXISTS therapist_search_insert",
    "DROP TABLE IF EXISTS therapist_search",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_therapist_search_trgm ON therapist USING gin (search_text gin_trgm_ops)",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_therapist_search_trgm"]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRES_UP)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWN)
