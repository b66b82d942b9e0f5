"""Writing one therapist's SQLite database: only that therapist's data, atomically, hashed."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..checkin.models import CourseMember, Participant
from ..extensions import db
from ..schedule.models import Appointment, Course
from ..tenancy import Practice, PracticeGroup, Therapist, therapist_practice
from ..timeutil import BERLIN, utcnow
from .window import window

SCHEMA_VERSION = 2  # 2: Berlin day and time of appointments, practice addresses, course participants, the window

# Times: ``starts_at`` as an instant (UTC ISO 8601); ``day`` and ``start_time`` as the practice's
# calendar shows them (Europe/Berlin), so a reader needs no time zone rules to list a day.
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE therapist (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT);
CREATE TABLE practice (id INTEGER PRIMARY KEY, name TEXT NOT NULL, street TEXT NOT NULL, postcode TEXT NOT NULL,
    city TEXT NOT NULL);
CREATE TABLE appointment (id INTEGER PRIMARY KEY, practice_id INTEGER NOT NULL REFERENCES practice(id),
    title TEXT NOT NULL, starts_at TEXT NOT NULL, day TEXT NOT NULL, start_time TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL);
CREATE TABLE course (id INTEGER PRIMARY KEY, practice_id INTEGER NOT NULL REFERENCES practice(id),
    kind TEXT NOT NULL, name TEXT NOT NULL, weekday INTEGER NOT NULL, start_time TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL, capacity INTEGER NOT NULL);
CREATE TABLE course_session (id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL REFERENCES course(id),
    day TEXT NOT NULL, starts_at TEXT NOT NULL);
CREATE TABLE participant (course_id INTEGER NOT NULL REFERENCES course(id), participant_id INTEGER NOT NULL,
    first_name TEXT NOT NULL, last_name TEXT NOT NULL, PRIMARY KEY (course_id, participant_id));
CREATE INDEX ix_appointment_day ON appointment(day, start_time);
CREATE INDEX ix_course_session_day ON course_session(day);
"""


def database_root() -> Path:
    root = current_app.config.get("THERAPIST_DB_DIR") or os.path.join(current_app.instance_path, "therapist-dbs")
    return Path(root)


def path_for(group_id: int, therapist_id: int) -> Path:
    return database_root() / str(group_id) / f"therapist-{therapist_id}.sqlite"


def collect_rows(therapist: Therapist) -> dict[str, list[tuple]]:
    """Everything the file holds, as plain tuples; only this therapist's rows."""
    start, end = window()
    practice_columns = (Practice.id, Practice.name, Practice.street, Practice.postcode, Practice.city)
    practices = db.session.execute(
        select(*practice_columns)
        .join(therapist_practice, therapist_practice.c.practice_id == Practice.id)
        .where(therapist_practice.c.therapist_id == therapist.id)
    ).all()
    appointments = db.session.execute(
        select(Appointment.id, Appointment.practice_id, Appointment.title, Appointment.starts_at,
               Appointment.duration_minutes)
        .where(Appointment.therapist_id == therapist.id, Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at)
    ).all()
    courses = db.session.execute(
        select(Course.id, Course.practice_id, Course.kind, Course.name, Course.weekday, Course.start_time,
               Course.duration_minutes, Course.capacity)
        .where(Course.therapist_id == therapist.id)
    ).all()
    # the practices an appointment or course refers to, even when not assigned to the therapist
    known = {p.id for p in practices}
    extra_ids = {a.practice_id for a in appointments} | {c.practice_id for c in courses}
    if extra_ids - known:
        practices += db.session.execute(
            select(*practice_columns).where(Practice.id.in_(extra_ids - known))
        ).all()
    sessions, first_day = [], start.astimezone(BERLIN).date()
    days = (end - start).days
    session_id = 0
    for course in courses:
        offset = (course.weekday - first_day.weekday()) % 7
        for day_index in range(offset, days, 7):
            day = first_day + timedelta(days=day_index)
            session_id += 1
            begins = datetime.combine(day, course.start_time, BERLIN)
            sessions.append((session_id, course.id, day.isoformat(), begins.isoformat()))
    # the regular members of the course groups; a person whose processing is restricted is left out
    participants = db.session.execute(
        select(CourseMember.course_id, Participant.id, Participant.first_name, Participant.last_name)
        .join(Participant, Participant.id == CourseMember.participant_id)
        .where(CourseMember.course_id.in_([c.id for c in courses]), ~Participant.restricted)
        .order_by(CourseMember.course_id, Participant.id)
    ).all() if courses else []
    last_day = end.astimezone(BERLIN).date() - timedelta(days=1)
    return {
        "meta": [("window_start", first_day.isoformat()), ("window_end", last_day.isoformat()),
                 ("group_name", db.session.scalar(select(PracticeGroup.name)
                                                  .where(PracticeGroup.id == therapist.group_id)) or "")],
        "therapist": [(therapist.id, therapist.first_name, therapist.last_name, therapist.email)],
        "practice": [tuple(p) for p in practices],
        "appointment": [_appointment_row(a) for a in appointments],
        "course": [(c.id, c.practice_id, c.kind, c.name, c.weekday, c.start_time.strftime("%H:%M"),
                    c.duration_minutes, c.capacity) for c in courses],
        "course_session": sessions,
        "participant": [tuple(p) for p in participants],
    }


def _appointment_row(a) -> tuple:
    local = a.starts_at.astimezone(BERLIN)
    return (a.id, a.practice_id, a.title, a.starts_at.isoformat(), local.date().isoformat(),
            local.strftime("%H:%M"), a.duration_minutes)


def write_file(path: Path, rows: dict[str, list[tuple]]) -> tuple[str, int]:
    """Write the database to a temporary file and rename it into place; returns (sha256, size)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        connection = sqlite3.connect(tmp)
        try:
            connection.executescript(SCHEMA)
            connection.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema_version", str(SCHEMA_VERSION)), ("generated_at", utcnow().isoformat(timespec="seconds"))])
            for table, values in rows.items():
                if values:
                    marks = ", ".join("?" * len(values[0]))
                    connection.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
            connection.commit()
        finally:
            connection.close()
        digest = hashlib.sha256()
        with open(tmp, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
        size = tmp.stat().st_size
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return digest.hexdigest(), size
