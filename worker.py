"""The RQ worker: runs the portal's jobs inside an app context, with the scheduler for retries.

Start it with ``python worker.py`` (the README's run command does this for you).
"""

from __future__ import annotations

import sys

from rq import Worker

from portal import create_app


def main(burst: bool = False) -> int:
    app = create_app()
    with app.app_context():
        worker = Worker([app.task_queue], connection=app.redis)
        worker.work(with_scheduler=True, burst=burst)
    return 0


if __name__ == "__main__":
    sys.exit(main(burst="--burst" in sys.argv))
