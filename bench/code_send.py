"""Benchmark: access-code mails through one RQ worker into the local SMTP sink.

Prints the median time from the request (the moment OK is pressed) to the SMTP server's
acceptance for requests made one at a time, and the mails per second when 200 requests are
queued at once. Targets: median under 0.5 s, at least 50 mails per second per worker.

    .venv/bin/python bench/code_send.py [--single 20] [--burst 200] [--worker-class rq.Worker]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.codes.models import CodeRequest  # noqa: E402
from portal.codes.request import request_code  # noqa: E402
from portal.devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from portal.devtools.schema import rebuild  # noqa: E402
from portal.devtools.smtp_sink import SmtpSink  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Licence, LicenceKind, PracticeGroup, Therapist  # noqa: E402
from portal.outbox.delivery import Delivery  # noqa: E402


def wait_until(app, condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.scalar(condition):
                return
        time.sleep(0.01)
    raise TimeoutError("the worker did not finish in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--single", type=int, default=20)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--database-url")
    parser.add_argument("--worker-class", default="rq.SimpleWorker",
                        help="rq.SimpleWorker (worker.py's default) or rq.Worker (forks per job)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-codes-"))
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    redis = EmbeddedRedis().start()
    sink = SmtpSink(tmp / "mails").start()
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis.url, "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(sink.port), "PORTAL_ENV": "testing"}
    os.environ.update(env)
    app = create_app("testing")
    n = args.single + args.burst
    rebuild(app)
    with app.app_context():
        group = PracticeGroup(name="Bench")
        group.licences = [Licence(kind=k, valid_from=date(2020, 1, 1)) for k in LicenceKind]
        db.session.add(group)
        db.session.flush()
        db.session.add_all(Therapist(group_id=group.id, first_name="T", last_name=f"N{i}", app_enabled=True,
                                     email=f"t{i}@bench.example") for i in range(n))
        db.session.commit()
        ids = db.session.scalars(select(Therapist.id).order_by(Therapist.id)).all()
    worker = subprocess.Popen([sys.executable, "-c",
                               "import sys, worker; sys.exit(worker.main(worker_class=sys.argv[1]))",
                               args.worker_class], cwd=ROOT, env={**os.environ, **env},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)  # the worker registers itself
        latencies = []
        for therapist_id in ids[: args.single]:
            with app.app_context():
                outcome = request_code(db.session.get(Therapist, therapist_id))
                request_id = outcome.request.id
                db.session.commit()  # enqueues the send job
            wait_until(app, select(CodeRequest.delivery == Delivery.ACCEPTED).where(CodeRequest.id == request_id))
            with app.app_context():
                request = db.session.get(CodeRequest, request_id)
                latencies.append((request.accepted_at - request.requested_at).total_seconds())
        with app.app_context():
            for therapist_id in ids[args.single:]:
                request_code(db.session.get(Therapist, therapist_id))
            started = time.perf_counter()
            db.session.commit()  # enqueues every send job
        wait_until(app, select(func.count(CodeRequest.id) == n).where(CodeRequest.delivery == Delivery.ACCEPTED))
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(10)
        sink.stop()
        redis.stop()
    received = len(list((tmp / "mails").glob("*.eml")))
    print(f"worker class: {args.worker_class}, database: {database_url.split(':')[0]}, mails received: {received}")
    print(f"request to SMTP acceptance, {args.single} requests one at a time: "
          f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    print(f"{args.burst} requests queued at once: {elapsed:.2f} s, {args.burst / elapsed:.1f} mails per second")


if __name__ == "__main__":
    main()
