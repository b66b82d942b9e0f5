from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("health", __name__)


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not reachable"
        db.session.rollback()
        return False


def redis_ok() -> bool:
    try:
        return bool(current_app.redis.ping())
    except Exception:  # connection refused, timeout, auth: all "down"
        return False


@bp.get("/healthz")
def healthz():
    """Reachability of the database and Redis; 503 when the database is down."""
    checks = {"database": "ok" if database_ok() else "down", "redis": "ok" if redis_ok() else "down"}
    status = 200 if checks["database"] == "ok" else 503
    return jsonify(status="ok" if status == 200 and checks["redis"] == "ok" else "degraded", **checks), status
