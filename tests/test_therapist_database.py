"""What the therapist database holds for the apps (schema 2: the window, Berlin days and times,
practice addresses, course participants), and when it must be written again."""

import sqlite3
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from portal.checkin.privacy import restrict
from portal.checkin.records import add_membership, update_participant
from portal.extensions import db
from portal.models import Course, Participant, Practice, Therapist, TherapistDatabase
from portal.therapist_db import generator, jobs
from portal.therapist_db.services import generate, is_current
from portal.timeutil import clock

from . import factories as f
from .helpers import run_jobs

T0 = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # a Friday; Berlin changes to summer time on Sunday


def written(app, therapist_id):
    """Generate the therapist's database now and read it back."""
    with app.app_context():
        therapist = db.session.get(Therapist, therapist_id)
        generate(therapist)
        db.session.commit()
        path = generator.path_for(therapist.group_id, therapist.id)
    return sqlite3.connect(path)


def test_the_file_holds_the_window_and_berlin_days_and_times(app, world):
    clock.set(T0)
    with app.app_context():
        anna = db.session.get(Therapist, world.therapist_a)
        practice = db.session.get(Practice, world.practice_a1)
        practice.street, practice.postcode = "Markt 1", "50667"
        f.appointment(anna, practice, datetime(2026, 3, 29, 23, 30, tzinfo=UTC), "Spät")  # Monday 01:30 in Berlin
        f.appointment(anna, practice, datetime(2026, 3, 27, 7, 0, tzinfo=UTC), "Früh")  # Friday 08:00 in Berlin
        f.course(anna.group, practice, anna, name="Rücken fit", weekday=0, start=time(9, 0))
        db.session.commit()
    with written(app, world.therapist_a) as local:
        meta = dict(local.execute("SELECT key, value FROM meta"))
        assert meta["schema_version"] == "2" and meta["group_name"] == "Praxisgruppe Nord"
        assert (meta["window_start"], meta["window_end"]) == ("2026-02-25", "2026-06-25")
        assert datetime.fromisoformat(meta["generated_at"]) == T0
        assert local.execute("SELECT title, day, start_time FROM appointment ORDER BY day, start_time").fetchall() == [
            ("Früh", "2026-03-27", "08:00"), ("Spät", "2026-03-30", "01:30")]
        assert local.execute("SELECT name, street, postcode, city FROM practice").fetchall() == [
            ("Praxis am Markt", "Markt 1", "50667", "Köln")]
        days = [day for (day,) in local.execute("SELECT day FROM course_session ORDER BY day")]
        assert days[0] == "2026-03-02" and days[-1] == "2026-06-22" and len(days) == 17


def test_the_file_lists_the_course_groups_members_but_no_restricted_person(app, world):
    with app.app_context():
        anna = db.session.get(Therapist, world.therapist_a)
        practice = db.session.get(Practice, world.practice_a1)
        back = f.course(anna.group, practice, anna, name="Rücken fit")
        other = f.course(anna.group, practice, None, name="Ohne Anna")
        f.participant(anna.group, "Petra", "Pohl", member_of=back)
        f.participant(anna.group, "Horst", "Hahn", member_of=back).restricted_at = T0
        f.participant(anna.group, "Otto", "Fremd", member_of=other)
        db.session.commit()
        back_id = back.id
    with written(app, world.therapist_a) as local:
        assert local.execute("SELECT course_id, first_name, last_name FROM participant").fetchall() == [
            (back_id, "Petra", "Pohl")]


def test_a_change_of_a_course_group_marks_its_therapist_s_database_stale(app, world):
    with app.app_context():
        anna = db.session.get(Therapist, world.therapist_a)
        anna.app_enabled = True
        back = f.course(anna.group, db.session.get(Practice, world.practice_a1), anna)
        petra = f.participant(anna.group, "Petra", "Pohl", member_of=back)
        horst = f.participant(anna.group, "Horst", "Hahn")
        db.session.commit()
        ids = back.id, petra.id, horst.id

    def stale_after(change) -> bool:
        with app.app_context():
            generate(db.session.get(Therapist, world.therapist_a))
            db.session.commit()
            change()
            db.session.commit()
            return db.session.get(TherapistDatabase, world.therapist_a).stale

    def person(participant_id):
        return db.session.get(Participant, participant_id)

    assert stale_after(lambda: add_membership(person(ids[2]), db.session.get(Course, ids[0]), None))
    assert stale_after(lambda: update_participant(person(ids[1]), None, last_name="Pohl-Berg"))
    assert not stale_after(lambda: update_participant(person(ids[1]), None, chip_id="9999"))  # not in the file
    assert stale_after(lambda: restrict(person(ids[2]), None, date(2030, 1, 1)))


def test_a_database_of_an_older_schema_is_written_again(app, world):
    with app.app_context():
        anna = db.session.get(Therapist, world.therapist_a)
        anna.app_enabled = True
        record = generate(anna)
        db.session.commit()
        assert is_current(anna) and record.schema_version == generator.SCHEMA_VERSION
        record.schema_version = None  # written by a release before schema versions were recorded
        db.session.commit()
        assert not is_current(anna)
        assert jobs.sweep() == 0  # marked stale now, its job enqueued at once (the sweep catches lost ones later)
        assert db.session.get(TherapistDatabase, world.therapist_a).stale
        queued = [job.args for job in app.task_queue.jobs if job.func_name.endswith("generate_database")]
        assert queued == [(world.therapist_a,)]
    run_jobs(app)
    with app.app_context():
        assert db.session.scalar(select(TherapistDatabase.schema_version)) == generator.SCHEMA_VERSION
        assert jobs.sweep() == 0 and not app.task_queue.jobs  # current now: nothing more
