"""Helpers shared by the RQ jobs."""

from __future__ import annotations

from functools import wraps

from .extensions import db


def fresh_session(job):
    """Give each job run a clean database session: a worker that runs jobs in-process must not
    carry one job's objects (or a failed transaction) into the next."""

    @wraps(job)
    def run(*args, **kwargs):
        try:
            return job(*args, **kwargs)
        finally:
            db.session.remove()

    return run
