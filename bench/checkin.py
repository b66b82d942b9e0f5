"""Benchmark: 200 check-ins in a burst through the check-in service on a full course day; 500
check-ins a tablet queued offline replayed, a fifth of them sent twice; and the
"Teilnahmenachweis" PDF of a prescription with 50 signed units.

Prints the median and 95th percentile time per check-in, including the signature write and the
commit, and the total; the same per replayed offline check-in (goal: median under 10 ms) with
the rows it left (goal: no duplicates); then the median time to build the PDF (query included;
goal under 1 s).

    .venv/bin/python bench/checkin.py [--checkins 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.checkin import offline, pdfs  # noqa: E402
from portal.checkin.models import (  # noqa: E402
    Attendance,
    CourseMember,
    CourseSession,
    OfflineCheckIn,
    Participant,
    Prescription,
    Terminal,
)
from portal.checkin.services import check_in, remaining_units  # noqa: E402
from portal.devtools.schema import rebuild  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Course, CourseKind, Practice, PracticeGroup  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkins", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp}/portal.db",
                                 "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://",
                                 # the replayed Mondays lie weeks back: applied by themselves, as if sent at once
                                 "TERMINAL_OFFLINE_DAYS": 60})
    day = date(2026, 11, 23)  # a Monday
    signature = b"\x89PNG\r\n\x1a\n" + os.urandom(6000)  # a typical pad signature is 4–10 KB
    rebuild(app)
    with app.app_context():
        group = PracticeGroup(name="Bench")
        group.practices = [Practice(name="Praxis", city="Köln")]
        db.session.add(group)
        db.session.flush()
        courses = [Course(group_id=group.id, practice_id=group.practices[0].id, kind=CourseKind.REHASPORT,
                          name=f"Kurs {n}", weekday=0, start_time=(datetime(2026, 1, 1, 8) + timedelta(hours=n)).time(),
                          capacity=20) for n in range(args.checkins // 20)]
        db.session.add_all(courses)
        db.session.flush()
        people = []
        for n in range(args.checkins):
            person = Participant(group_id=group.id, first_name="P", last_name=f"Teilnehmer{n}",
                                 birth_date=date(1950, 1, 1), chip_id=f"CHIP{n:05d}")
            db.session.add(person)
            db.session.flush()
            db.session.add(Prescription(group_id=group.id, participant_id=person.id, kind=CourseKind.REHASPORT,
                                        units_approved=50))
            db.session.add(CourseMember(course_id=courses[n % len(courses)].id, participant_id=person.id))
            people.append((person.id, courses[n % len(courses)].id))
        db.session.commit()
        timings = []
        started_all = time.perf_counter()
        for person_id, course_id in people:
            db.session.expunge_all()
            started = time.perf_counter()
            person = db.session.get(Participant, person_id)
            check_in(person, db.session.get(Course, course_id), day, signature)
            db.session.commit()
            timings.append(time.perf_counter() - started)
        total = time.perf_counter() - started_all
    timings.sort()
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}; {len(courses)} sessions, "
          f"{args.checkins} check-ins with a {len(signature)}-byte signature each")
    print(f"per check-in: median {statistics.median(timings) * 1000:.1f} ms, "
          f"95th percentile {timings[int(len(timings) * 0.95)] * 1000:.1f} ms; total {total:.2f} s")
    replay_timing(app, people, signature)
    proof_seconds, pages, size = proof_timing(app, people[0][1])
    print(f"Teilnahmenachweis with 50 signed units: median {proof_seconds * 1000:.0f} ms over 10 runs, "
          f"{pages} pages, {size // 1024} KB")


def replay_timing(app, people: list[tuple[int, int]], signature: bytes, queued: int = 500,
                  twice: float = 0.2) -> None:
    """A tablet's queue sent after a day offline: ``queued`` check-ins on two other Mondays, a
    ``twice`` share of them resends of one sent earlier (the answer was lost); each replay parsed, applied
    and committed as the endpoint does."""
    mondays = [date(2026, 11, 16), date(2026, 11, 30)]
    data_url = "data:image/png;base64," + base64.b64encode(signature).decode()
    distinct = queued - int(queued * twice)
    items = [{"id": str(uuid.uuid4()), "course_id": course_id, "participant_id": person_id,
              "signed_at": datetime.combine(mondays[n // len(people) % 2], datetime.min.time(), UTC)
              .replace(hour=8 + n % 10).isoformat(), "signature": data_url}
             for n, (person_id, course_id) in enumerate((people * 3)[:distinct])]
    chooser = random.Random(7)
    order = list(items)
    for item in chooser.sample(items, queued - distinct):  # a duplicate arrives after its first
        order.insert(chooser.randint(order.index(item) + 1, len(order)), item)
    with app.app_context():
        terminal = Terminal(group_id=db.session.scalar(select(Participant.group_id)), name="Tresen",
                            terminal_key="BENCH")
        db.session.add(terminal)
        db.session.commit()
        terminal_id = terminal.id
        before = db.session.scalar(select(func.count(Attendance.id)))
        timings, known, statements = [], 0, []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        for item in order:
            db.session.expunge_all()
            started = time.perf_counter()
            result = offline.replay(db.session.get(Terminal, terminal_id), offline.Queued.parse(item))
            db.session.commit()
            timings.append(time.perf_counter() - started)
            known += result.known
        event.remove(db.engine, "before_cursor_execute", count)
        rows = db.session.scalar(select(func.count(OfflineCheckIn.id)))
        applied = db.session.scalar(select(func.count(Attendance.id))) - before
        twins = db.session.scalar(select(func.count()).select_from(
            select(Attendance.session_id, Attendance.participant_id).group_by(
                Attendance.session_id, Attendance.participant_id).having(func.count() > 1).subquery()))
    timings.sort()
    print(f"offline replay: {len(order)} sent ({known} again), median {statistics.median(timings) * 1000:.1f} ms, "
          f"95th percentile {timings[int(len(timings) * 0.95)] * 1000:.1f} ms; {rows} kept once per id "
          f"(of {len(items)}), {applied} attendances added, {twins} people twice in a session; "
          f"{len(statements) / len(order):.1f} statements each")
    if os.environ.get("BENCH_STATEMENTS"):
        print("\n".join(statements[-40:]))


def _signature(seed: int) -> bytes:
    image = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(image).line([(20, 160), (160 + seed, 40), (300, 140), (580, 60 + seed)], fill="black", width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def proof_timing(app, course_id: int) -> tuple[float, int, int]:
    """A participant with 50 signed units (distinct signatures, as real ones are), then the PDF."""
    with app.app_context():
        course = db.session.get(Course, course_id)
        person = Participant(group_id=course.group_id, first_name="Jörg", last_name="Weiß", birth_date=date(1950, 1, 1))
        db.session.add(person)
        db.session.flush()
        prescription = Prescription(group_id=course.group_id, participant_id=person.id, kind=CourseKind.REHASPORT,
                                    units_approved=60, payer="AOK")
        db.session.add(prescription)
        db.session.flush()
        for n in range(50):
            session = CourseSession(group_id=course.group_id, course_id=course.id,
                                    day=date(2026, 1, 5) + timedelta(days=n), start_time=course.start_time)
            db.session.add(session)
            db.session.flush()
            db.session.add(Attendance(group_id=course.group_id, session_id=session.id, participant_id=person.id,
                                      prescription_id=prescription.id, signature_png=_signature(n)))
        db.session.commit()
        prescription_id = prescription.id
    timings, content = [], b""
    for _ in range(10):
        with app.test_request_context("/"):
            db.session.expunge_all()
            started = time.perf_counter()
            prescription = db.session.get(Prescription, prescription_id)
            attendances = db.session.scalars(select(Attendance).where(Attendance.prescription_id == prescription_id)
                                             .order_by(Attendance.id)).all()
            content = pdfs.participation_proof(prescription, attendances, "Bench", remaining_units(prescription))
            timings.append(time.perf_counter() - started)
    return statistics.median(timings), content.count(b"/Type /Page\n"), len(content)


if __name__ == "__main__":
    main()
