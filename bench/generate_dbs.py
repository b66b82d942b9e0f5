"""Benchmark: therapist databases for 1,000 therapists with 300 appointments each.

Prints the total time one RQ worker needs for all of them (the "generate missing" job), and the
median time per database against a bare sqlite3 ``executemany`` of the same rows into the same
schema (ratio; target at most 2x).

    .venv/bin/python bench/generate_dbs.py [--therapists 1000] [--appointments 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rq import SimpleWorker  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from portal.devtools.schema import rebuild  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Appointment,
    Licence,
    LicenceKind,
    Practice,
    PracticeGroup,
    Therapist,
    TherapistDatabase,
    therapist_practice,
)
from portal.tenancy import search_text_for  # noqa: E402
from portal.therapist_db import generator, services  # noqa: E402


def build(app, therapists: int, appointments: int) -> list[int]:
    rebuild(app)
    with app.app_context():
        group = PracticeGroup(name="Bench")
        group.licences = [Licence(kind=k, valid_from=date(2020, 1, 1)) for k in LicenceKind]
        group.practices = [Practice(name="Praxis Eins", city="Köln"), Practice(name="Praxis Zwei", city="Bonn")]
        db.session.add(group)
        db.session.flush()
        now = datetime.now(UTC)
        db.session.execute(insert(Therapist), [
            {"group_id": group.id, "first_name": "Vorname", "last_name": f"Nachname{i}", "email": f"t{i}@b.example",
             "app_enabled": True, "created_at": now, "updated_at": now,
             "search_text": search_text_for("Vorname", f"Nachname{i}", f"t{i}@b.example")}
            for i in range(therapists)])
        ids = list(db.session.scalars(select(Therapist.id)))
        practices = [p.id for p in group.practices]
        db.session.execute(insert(therapist_practice),
                           [{"therapist_id": t, "practice_id": p} for t in ids for p in practices])
        start = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0) - timedelta(days=20)
        for chunk in range(0, len(ids), 50):
            db.session.execute(insert(Appointment), [
                {"group_id": group.id, "therapist_id": t, "practice_id": practices[k % 2],
                 "title": ("Krankengymnastik", "Manuelle Therapie", "Lymphdrainage")[k % 3],
                 "starts_at": start + timedelta(days=k // 3, hours=(k % 3) * 2), "duration_minutes": 30}
                for t in ids[chunk:chunk + 50] for k in range(appointments)])
        db.session.commit()
        return ids


def bare_write(path: Path, rows: dict[str, list[tuple]]) -> float:
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    connection.executescript(generator.SCHEMA)
    for table, values in rows.items():
        if values:
            connection.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})", values)
    connection.commit()
    connection.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--therapists", type=int, default=1000)
    parser.add_argument("--appointments", type=int, default=300)
    parser.add_argument("--sample", type=int, default=50, help="databases timed one by one for the medians")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-dbs-"))
    redis = EmbeddedRedis().start()
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp}/portal.db",
                                 "REDIS_URL": redis.url, "THERAPIST_DB_DIR": str(tmp / "dbs")})
    try:
        started = time.perf_counter()
        ids = build(app, args.therapists, args.appointments)
        built = time.perf_counter() - started
        print(f"built {len(ids)} therapists x {args.appointments} appointments in {built:.1f} s")
        with app.app_context():
            app.task_queue.enqueue("portal.therapist_db.jobs.generate_missing", job_timeout=3600, result_ttl=0)
            started = time.perf_counter()
            SimpleWorker([app.task_queue], connection=app.redis).work(burst=True)
            total = time.perf_counter() - started
            generated = db.session.scalar(select(db.func.count(TherapistDatabase.therapist_id))
                                          .where(TherapistDatabase.stale.is_(False)))
        print(f"one worker, all {generated} databases: {total:.1f} s ({generated / total:.1f} per second)")
        portal_times, bare_times = [], []
        with app.app_context():
            for therapist_id in ids[: args.sample]:
                therapist = db.session.get(Therapist, therapist_id)
                started = time.perf_counter()
                services.generate(therapist)
                db.session.commit()
                portal_times.append(time.perf_counter() - started)
                rows = generator.collect_rows(therapist)
                bare_times.append(bare_write(tmp / f"bare-{therapist_id}.sqlite", rows))
                db.session.expunge_all()
            rows_per_db = sum(len(v) for v in rows.values())
        portal, bare = statistics.median(portal_times), statistics.median(bare_times)
        print(f"per database ({rows_per_db} rows): portal median {portal * 1000:.1f} ms, bare sqlite3 executemany "
              f"median {bare * 1000:.1f} ms, ratio {portal / bare:.2f}")
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
