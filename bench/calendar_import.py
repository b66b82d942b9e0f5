"""Benchmark: a practice calendar of 5,000 events (a third of them weekly series) imported into one
therapist over the therapist database's window (30 days back, 90 ahead).

Prints the medians of: the first import (parse, expand, insert, commit; goal under 3 s); an
unchanged re-import (the same bytes over the same window: recognised by their hash, no
appointment row written; goal under 0.5 s); and, for comparison, the same content read and
compared in full (as on the first fetch of a new day, when the window moved), which writes no
appointment row either. Each run starts from an empty calendar.

    .venv/bin/python bench/calendar_import.py [--events 5000] [--runs 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, event, func, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.calendars.models import CalendarKind, CalendarSubscription  # noqa: E402
from portal.calendars.services import import_body  # noqa: E402
from portal.devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from portal.devtools.schema import rebuild  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Appointment, Licence, LicenceKind, Practice, PracticeGroup, Therapist  # noqa: E402
from portal.therapist_db import window as held  # noqa: E402
from portal.timeutil import today_berlin  # noqa: E402

TITLES = ("Krankengymnastik", "Manuelle Therapie", "Lymphdrainage", "KG-ZNS", "Massage", "Befundaufnahme")


def feed(events: int, today: date) -> bytes:
    """A calendar as a practice software exports it: single appointments spread over the window,
    every third event a weekly series of ten (some run past the window's end)."""
    first = datetime.combine(today - timedelta(days=held.WINDOW_PAST_DAYS), datetime.min.time())
    days = held.WINDOW_PAST_DAYS + held.WINDOW_FUTURE_DAYS
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bench//Terminbuch//DE", "METHOD:PUBLISH",
             "BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
             "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
             "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "DTSTART:19701025T030000",
             "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD", "END:VTIMEZONE"]
    for n in range(events):
        recurring = n % 3 == 0
        start = first + timedelta(days=(n * 7) % days, hours=7 + n % 11, minutes=15 * (n % 4))
        lines += ["BEGIN:VEVENT", f"UID:termin-{n}@bench.example", "DTSTAMP:20260101T000000Z",
                  f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}", f"DURATION:PT{20 + 10 * (n % 4)}M",
                  f"SUMMARY:{TITLES[n % len(TITLES)]} {n}"]
        if recurring:
            lines.append("RRULE:FREQ=WEEKLY;COUNT=10")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def setup(app) -> int:
    rebuild(app)
    with app.app_context():
        group = PracticeGroup(name="Bench")
        group.licences = [Licence(kind=k, valid_from=date(2020, 1, 1)) for k in LicenceKind]
        group.practices = [Practice(name="Praxis Eins", city="Köln")]
        db.session.add(group)
        db.session.flush()
        therapist = Therapist(group_id=group.id, first_name="Bea", last_name="Bench", email="bea@bench.example",
                              practices=group.practices)
        db.session.add(therapist)
        db.session.flush()
        calendar = CalendarSubscription(group_id=group.id, therapist_id=therapist.id,
                                        practice_id=group.practices[0].id, kind=CalendarKind.UPLOAD,
                                        label="bench.ics")
        db.session.add(calendar)
        db.session.commit()
        return calendar.id


class RowWrites:
    """Counts the appointment rows written (INSERT, UPDATE, DELETE) while it listens."""

    def __init__(self, engine) -> None:
        self.engine, self.rows = engine, 0

    def __enter__(self):
        event.listen(self.engine, "after_cursor_execute", self._count)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "after_cursor_execute", self._count)

    def _count(self, _conn, cursor, statement, _params, _context, _executemany) -> None:
        words = statement.split(None, 3) + ["", "", ""]
        verb = words[0].upper()
        table = words[2] if verb in ("INSERT", "DELETE") else words[1] if verb == "UPDATE" else ""
        if table.strip('"') == "appointment":
            self.rows += max(cursor.rowcount, 0)


def timed(app, calendar_id: int, body: bytes, start, end,
          forget_hash: bool = False) -> tuple[float, float, int, int]:
    """(seconds, CPU seconds of this process, appointment rows written, appointments in the
    calendar) of one import + commit. The CPU time shows what the import costs when other work
    shares the machine (the database server's share of it is not in it)."""
    with app.app_context():
        calendar = db.session.get(CalendarSubscription, calendar_id)
        if forget_hash:
            calendar.content_sha256 = None
            db.session.commit()
        with RowWrites(db.engine) as writes:
            began, began_cpu = time.perf_counter(), time.process_time()
            import_body(calendar, body, start, end)
            db.session.commit()
            took, cpu = time.perf_counter() - began, time.process_time() - began_cpu
        count = db.session.scalar(select(func.count(Appointment.id)).where(Appointment.calendar_id == calendar_id))
        return took, cpu, writes.rows, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-calendar-"))
    redis = EmbeddedRedis().start()
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp}/portal.db",
                                 "REDIS_URL": redis.url, "THERAPIST_DB_DIR": str(tmp / "dbs")})
    try:
        calendar_id = setup(app)
        body = feed(args.events, today_berlin())
        with app.app_context():
            start, end = held.window()
            backend = db.engine.url.get_backend_name()
        print(f"{backend}: {args.events} events ({args.events // 3 + (args.events % 3 > 0)} weekly series), "
              f"{len(body) / 1e6:.1f} MB, window {start:%d.%m.%Y} to {end:%d.%m.%Y}, {args.runs} runs")
        first, same, full = [], [], []
        for _run in range(args.runs):
            with app.app_context():
                db.session.execute(delete(Appointment).where(Appointment.calendar_id == calendar_id))
                calendar = db.session.get(CalendarSubscription, calendar_id)
                calendar.content_sha256 = calendar.window_start = None
                db.session.commit()
            first.append(timed(app, calendar_id, body, start, end))
            same.append(timed(app, calendar_id, body, start, end))
            full.append(timed(app, calendar_id, body, start, end, forget_hash=True))
        appointments = first[0][3]
        for label, runs, goal in (("first import", first, 3.0), ("unchanged re-import", same, 0.5),
                                  ("same content read in full", full, None)):
            median = statistics.median(run[0] for run in runs)
            cpu = statistics.median(run[1] for run in runs)
            rows = sorted({run[2] for run in runs})
            verdict = "" if goal is None else (f" (goal < {goal:g} s: {'met' if median < goal else 'MISSED'})")
            print(f"  {label:<27} median {median:6.3f} s (CPU {cpu:6.3f} s), appointment rows written {rows}"
                  f"{verdict}")
        print(f"  appointments in the window: {appointments}; load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores")
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
