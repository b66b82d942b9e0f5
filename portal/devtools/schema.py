"""An empty schema built through the migrations, for the tests and the benchmarks."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import MetaData, text

from portal.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def drop_everything(engine) -> None:
    """Drop every table the database holds, including ones this checkout's models do not know:
    a shared PostgreSQL test database may still hold another branch's schema."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            return
        if engine.dialect.name == "sqlite":
            _drop_sqlite_tables(conn)
            return
        existing = MetaData()
        existing.reflect(bind=conn)
        existing.drop_all(bind=conn)


def _drop_sqlite_tables(conn) -> None:
    """Virtual tables (the full-text index) first: dropping one drops its shadow tables."""
    conn.execute(text("PRAGMA foreign_keys = OFF"))
    for virtual_only in (True, False):
        for name, sql in _sqlite_tables(conn):
            if not virtual_only or sql.upper().startswith("CREATE VIRTUAL TABLE"):
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))


def _sqlite_tables(conn) -> list[tuple[str, str]]:
    listing = text("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return [(name, sql or "") for name, sql in conn.execute(listing)]


def rebuild(app) -> None:
    """Drop what an earlier run left and migrate to the newest schema."""
    with app.app_context():
        drop_everything(db.engine)
        upgrade(directory=str(MIGRATIONS))
        db.engine.dispose()
