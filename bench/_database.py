"""Shared by the benchmarks: an empty database built through the migrations."""

from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from portal.extensions import db

ROOT = Path(__file__).resolve().parents[1]


def rebuild(app) -> None:
    """Drop what an earlier run left (tables, migration state, the search index) and migrate."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            for statement in ("DROP TABLE IF EXISTS alembic_version", "DROP TABLE IF EXISTS therapist_search"):
                conn.execute(text(statement))
        upgrade(directory=str(ROOT / "migrations"))
