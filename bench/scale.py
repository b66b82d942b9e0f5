"""Benchmark: does the portal scale out? Real processes (portal/devtools/cluster.py) against one
database and one Redis, with the production settings.

1. Code mails per second with 1 and with 2 workers (``worker.py``): the requests are saved, the
   workers are up, then every send job is handed over at once; the clock stops when the SMTP
   server has accepted the last mail. Goal: 2 workers at least 1.6 times 1 worker.
2. Activations per second through 2 gunicorn web servers: a chef's "App aktivieren" + OK, from 8
   client threads spread over both servers (no worker runs meanwhile: the web side alone).

Each figure is the median of ``--rounds`` rounds.

    .venv/bin/python bench/scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.codes.models import CodeRequest  # noqa: E402
from portal.codes.request import request_code  # noqa: E402
from portal.devtools.cluster import Browser, Cluster  # noqa: E402
from portal.devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from portal.devtools.schema import rebuild  # noqa: E402
from portal.devtools.smtp_sink import SmtpSink  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Licence, LicenceKind, Practice, PracticeGroup, Role, Therapist, User  # noqa: E402
from portal.outbox.delivery import Delivery  # noqa: E402

PASSWORD = "benchmark-passwort"
CHEF = "chef@scale.example"


def setup(app, therapists: int) -> tuple[int, int]:
    with app.app_context():
        group = PracticeGroup(name="Skalierung")
        group.licences = [Licence(kind=k, valid_from=date(2020, 1, 1)) for k in LicenceKind]
        group.practices = [Practice(name="Praxis Mitte", city="Köln")]
        db.session.add(group)
        db.session.flush()
        db.session.add_all(Therapist(group_id=group.id, first_name="Thera", last_name=f"Pist{i:04d}",
                                     email=f"t{i}@scale.example") for i in range(therapists))
        chef = User(email=CHEF, role=Role.CHEF, group_id=group.id)
        chef.set_password(PASSWORD)
        db.session.add(chef)
        db.session.commit()
        return group.id, group.practices[0].id


def wait_for(app, condition, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.scalar(condition):
                return
        time.sleep(0.25)  # the bench shares the 2 cores with what it measures: look rarely
    raise TimeoutError("not done in time")


def mails_per_second(app, cluster: Cluster, connection, therapist_ids: list[int], workers: int) -> float:
    processes = [cluster.worker(f"worker-{workers}-{n}") for n in range(workers)]
    try:
        deadline = time.monotonic() + 30
        while connection.scard("rq:workers") < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        with app.app_context():
            for therapist_id in therapist_ids:
                therapist = db.session.get(Therapist, therapist_id)
                therapist.app_enabled = True
                request_code(therapist)
            started = time.perf_counter()
            db.session.commit()  # hands every send job to Redis
        ids = select(CodeRequest.id).join(Therapist).where(Therapist.id.in_(therapist_ids))
        wait_for(app, select(func.count() == len(therapist_ids)).select_from(CodeRequest)
                 .where(CodeRequest.id.in_(ids), CodeRequest.delivery == Delivery.ACCEPTED))
        return len(therapist_ids) / (time.perf_counter() - started)
    finally:
        for process in processes:
            cluster.retire(process)
        deadline = time.monotonic() + 10
        while connection.scard("rq:workers") and time.monotonic() < deadline:
            time.sleep(0.1)


def activations_per_second(cluster: Cluster, ports: list[int], therapist_ids: list[int], practice_id: int) -> float:
    browsers = [Browser(port) for port in ports]
    for browser in browsers:
        browser.sign_in(CHEF, PASSWORD)

    def activate(pair):
        therapist_id, browser = pair
        status, _, body = browser.request("POST", f"/therapeuten/{therapist_id}", {
            "first_name": "Thera", "last_name": f"Aktiv{therapist_id}", "email": f"a{therapist_id}@scale.example",
            "practices": [str(practice_id)], "app_enabled": "y"}, headers={"HX-Request": "true"})
        if status != 200:
            raise RuntimeError(f"activation refused: {status} {body[:200]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(activate, zip(therapist_ids, cycle(browsers), strict=False)))
    return len(therapist_ids) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder (the goal is for PostgreSQL)")
    parser.add_argument("--mails", type=int, default=300, help="code mails per round")
    parser.add_argument("--activations", type=int, default=200, help="activations per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    embedded = EmbeddedRedis().start()
    sink = SmtpSink(tmp / "mails").start()
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": embedded.url,
                                 "RATELIMIT_STORAGE_URI": "memory://"})
    rebuild(app)
    rounds = args.rounds
    group_id, practice_id = setup(app, args.mails * 2 * rounds + args.activations * rounds)
    with app.app_context():
        ids = db.session.scalars(select(Therapist.id).where(Therapist.group_id == group_id)
                                 .order_by(Therapist.id)).all()
    batches = iter([ids[i:i + args.mails] for i in range(0, args.mails * 2 * rounds, args.mails)])
    activation_batches = iter([ids[args.mails * 2 * rounds + i * args.activations:][:args.activations]
                               for i in range(rounds)])
    cluster = Cluster(database_url, embedded.url, tmp / "cluster",
                      env={"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port), "LOG_LEVEL": "WARNING",
                           "API_RATE_LIMIT": "100000 per minute"})
    connection = redis.Redis.from_url(embedded.url)
    figures: dict[str, list[float]] = {"1 worker": [], "2 workers": [], "activations": []}
    try:
        for _ in range(rounds):
            for workers in (1, 2):
                figures[f"{workers} worker{'s' if workers > 1 else ''}"].append(
                    mails_per_second(app, cluster, connection, next(batches), workers))
        webs = [cluster.web(workers=1), cluster.web(workers=1)]
        cluster.wait_until_serving()
        for _ in range(rounds):
            figures["activations"].append(
                activations_per_second(cluster, [web.port for web in webs], next(activation_batches), practice_id))
    finally:
        cluster.stop()
        sink.stop()
        embedded.stop()
    def rounds_of(key: str) -> str:
        return ", ".join(f"{value:.1f}" for value in figures[key])

    one, two = statistics.median(figures["1 worker"]), statistics.median(figures["2 workers"])
    print(f"database: {database_url.split(':')[0]}, rounds: {rounds}, mails per round: {args.mails}")
    print(f"code mails per second, 1 worker:  {one:7.1f}   (rounds: {rounds_of('1 worker')})")
    print(f"code mails per second, 2 workers: {two:7.1f}   (rounds: {rounds_of('2 workers')})")
    print(f"ratio 2 workers / 1 worker:       {two / one:7.2f}   (goal: at least 1.6)")
    activations = statistics.median(figures["activations"])
    print(f"activations per second, 2 web processes: {activations:.1f}   (rounds: {rounds_of('activations')})")


if __name__ == "__main__":
    main()
