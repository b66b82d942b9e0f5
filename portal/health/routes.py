"""Probes for the orchestrator: ``/healthz`` (this process lives) and ``/readyz`` (it can do its
work: the database and Redis answer, and the workers keep up with the queue)."""

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text

from ..extensions import db
from ..monitoring import queues

bp = Blueprint("health", __name__)


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not reachable"
        db.session.rollback()
        return False


@bp.get("/healthz")
def healthz():
    """The process answers; nothing else is asked (a restart would not cure a database outage)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """200 when the database and Redis answer and the oldest waiting job is younger than
    READY_MAX_JOB_AGE; else 503 with what failed."""
    failures = {}
    if not database_ok():
        failures["database"] = "Die Datenbank antwortet nicht."
    limit = current_app.config["READY_MAX_JOB_AGE"]
    try:
        age = queues.oldest_waiting_age(current_app.task_queue)
    except RedisError:
        failures["redis"] = "Redis antwortet nicht."
    else:
        if age is not None and age > limit:
            failures["queue"] = (f"Der älteste wartende Auftrag wartet seit {age:.0f} s (Grenze {limit} s): "
                                 "laufen die Worker?")
    if failures:
        return jsonify(status="not ready", failures=failures), 503
    return jsonify(status="ready")
