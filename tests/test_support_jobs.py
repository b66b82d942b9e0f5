"""Support's job queues ("Aufträge"): what waits, runs, is planned and has failed, in words and
Berlin time; "Erneut versuchen" puts a failed job back (audited); no code ever reaches the page;
Redis down answers in German; only support gets in."""

import inspect
import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from rq.utils import import_attribute

import portal
from portal import jobs
from portal.support.jobs import MASK, error_line
from portal.timeutil import BERLIN, clock

from .conftest import make_app
from .helpers import HX, activate, audit_entries, run_jobs, signed_in

PAGE = "/support/auftraege"
CODE = "482915"
QUEUE_DOWN = "Der Hintergrunddienst (Redis) ist gerade nicht erreichbar"


def broken():
    """A job that fails (RQ imports it by its path, tests.test_support_jobs.broken)."""
    raise ValueError("Die Vorlage „Zugangscode“ fehlt")


def boom(*args, **kwargs):
    """A careless job that fails naming what it was given: a code among it."""
    raise RuntimeError(f"Versand mit {args} {kwargs} gescheitert")


LOOKED = {}


def look_at_the_queues():
    """A job that opens support's page while it runs, as support would at that moment."""
    LOOKED["html"] = LOOKED.pop("client").get(PAGE).get_data(as_text=True)


def section(html: str, key: str) -> str:
    """One of the page's four lists: waiting, running, planned, failed."""
    match = re.search(rf'<section id="jobs-{key}".*?</section>', html, re.S)
    assert match, f"no section {key}"
    return match.group(0)


def count(html: str, key: str) -> int:
    return int(re.search(r'data-count="(\d+)"', section(html, key)).group(1))


def berlin(moment) -> str:
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")


def enqueue(app, func: str, *args, **options) -> None:
    with app.app_context():
        assert jobs.enqueue(func, *args, **options)


def test_waiting_jobs_show_in_words_with_their_therapist_time_in_berlin_and_the_oldest_age(app, as_user, world):
    activate(app, as_user(world.chef_a), world.therapist_a)  # a code to send, a database to generate
    support = signed_in(app, world.support)
    waiting_jobs = [Job.fetch(job_id, connection=app.redis) for job_id in app.task_queue.get_job_ids()]
    oldest = min(job.enqueued_at for job in waiting_jobs)
    clock.set(oldest + timedelta(minutes=12))
    html = support.get(PAGE).get_data(as_text=True)
    waiting = section(html, "waiting")
    assert count(html, "waiting") == len(waiting_jobs) == 2 and "Wartend (2)" in waiting
    assert "Zugangscode senden" in waiting and "Therapeuten-Datenbank erzeugen" in waiting
    assert waiting.count(f'<a href="/support/therapeuten/{world.therapist_a}">Schmidt, Anna</a>') == 2
    assert berlin(oldest) in waiting
    assert "Der älteste wartende Auftrag wartet seit 12 Minuten." in waiting
    assert "send_code" not in html and "generate_database" not in html  # words, not RQ's description
    for key, empty in (("running", "Keine laufenden Aufträge."), ("planned", "Keine geplanten Aufträge."),
                       ("failed", "Keine fehlgeschlagenen Aufträge.")):
        assert count(html, key) == 0 and empty in section(html, key)
    run_jobs(app)
    html = support.get(PAGE).get_data(as_text=True)
    assert count(html, "waiting") == 0 and "Keine wartenden Aufträge." in section(html, "waiting")
    assert "wartet seit" not in html


def test_the_console_links_to_the_job_queues_and_an_htmx_refresh_answers_the_section(app, world):
    support = signed_in(app, world.support)
    assert f'href="{PAGE}"' in support.get("/support").get_data(as_text=True)
    fragment = support.get(PAGE, headers=HX).get_data(as_text=True)
    assert '<div id="support-jobs">' in fragment and 'id="jobs-failed"' in fragment and "<html" not in fragment


def test_a_running_job_shows_its_worker_and_start(app, world):
    enqueue(app, "tests.test_support_jobs.look_at_the_queues", job_id="blick-1")
    LOOKED["client"] = signed_in(app, world.support)
    with app.app_context():
        SimpleWorker([app.task_queue], connection=app.redis, name="worker-im-test").work(burst=True)
    html = LOOKED["html"]
    running = section(html, "running")
    assert count(html, "running") == 1 and count(html, "waiting") == 0
    assert "tests.test_support_jobs.look_at_the_queues" in running  # unknown to the portal: its bare name
    assert "worker-im-test" in running and "Uhr" in running


def test_a_delayed_job_shows_as_planned_with_its_time_in_berlin(app, world):
    enqueue(app, "portal.therapist_db.jobs.generate_database", world.therapist_a, job_id="therapist-db-spaeter",
            delay=timedelta(minutes=10))
    planned_for = ScheduledJobRegistry(queue=app.task_queue).get_scheduled_time("therapist-db-spaeter")
    html = signed_in(app, world.support).get(PAGE).get_data(as_text=True)
    planned = section(html, "planned")
    assert count(html, "planned") == 1 and count(html, "waiting") == 0 and "Geplant (1)" in planned
    assert "Therapeuten-Datenbank erzeugen" in planned
    assert f'<a href="/support/therapeuten/{world.therapist_a}">Schmidt, Anna</a>' in planned
    assert berlin(planned_for) in planned


def test_a_failed_job_shows_its_error_line_and_erneut_versuchen_puts_it_back_audited(app, world):
    enqueue(app, "tests.test_support_jobs.broken", job_id="kaputt-1")
    run_jobs(app)
    support = signed_in(app, world.support)
    html = support.get(PAGE).get_data(as_text=True)
    failed = section(html, "failed")
    assert count(html, "failed") == 1 and "Fehlgeschlagen (1)" in failed
    assert "ValueError: Die Vorlage „Zugangscode“ fehlt" in failed
    assert "Traceback" not in html and 'File "' not in html
    ended = Job.fetch("kaputt-1", connection=app.redis).ended_at
    assert berlin(ended) in failed
    form = re.search(r'<form method="post" action="/support/auftraege/kaputt-1/erneut".*?</form>', failed, re.S)
    assert form and 'name="csrf_token"' in form.group(0) and "Erneut versuchen" in form.group(0)
    assert "Alle fehlgeschlagenen erneut versuchen" not in failed  # one failed job: its own button suffices

    html = support.post(f"{PAGE}/kaputt-1/erneut", headers=HX).get_data(as_text=True)
    assert "1 Auftrag wird erneut versucht." in html
    assert count(html, "failed") == 0 and count(html, "waiting") == 1
    assert "tests.test_support_jobs.broken" in section(html, "waiting")
    assert app.task_queue.get_job_ids() == ["kaputt-1"] and FailedJobRegistry(queue=app.task_queue).count == 0
    assert audit_entries(app, "job.requeued") == [
        ("job.requeued", world.support, "support", None,
         {"job_id": "kaputt-1", "function": "tests.test_support_jobs.broken"})]

    again = support.post(f"{PAGE}/kaputt-1/erneut", headers=HX).get_data(as_text=True)  # a stale button
    assert "Dieser Auftrag ist nicht mehr unter den fehlgeschlagenen." in again
    assert len(audit_entries(app, "job.requeued")) == 1
    run_jobs(app)  # it really runs again, and fails again
    assert count(support.get(PAGE).get_data(as_text=True), "failed") == 1


def test_all_failed_jobs_are_requeued_at_once_without_htmx_too(app, world):
    for n in (1, 2):
        enqueue(app, "tests.test_support_jobs.broken", job_id=f"kaputt-{n}")
    run_jobs(app)
    support = signed_in(app, world.support)
    assert "Alle fehlgeschlagenen erneut versuchen" in section(support.get(PAGE).get_data(as_text=True), "failed")
    response = support.post(f"{PAGE}/alle-erneut")
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    html = support.get(PAGE).get_data(as_text=True)
    assert "2 Aufträge werden erneut versucht." in html
    assert count(html, "waiting") == 2 and count(html, "failed") == 0
    assert sorted(e[4]["job_id"] for e in audit_entries(app, "job.requeued")) == ["kaputt-1", "kaputt-2"]
    assert "Es gibt keine fehlgeschlagenen Aufträge mehr." in support.post(
        f"{PAGE}/alle-erneut", headers=HX).get_data(as_text=True)


def test_a_code_among_a_jobs_arguments_never_reaches_the_page(app, world):
    queue = app.task_queue  # straight into RQ: the portal's own enqueue refuses anything but ids
    queue.enqueue("tests.test_support_jobs.boom", CODE, job_id="mit-code-1", code=CODE)
    queue.enqueue_in(timedelta(hours=1), "tests.test_support_jobs.boom", CODE, job_id="mit-code-2")
    queue.enqueue("portal.codes.jobs.send_code", CODE, job_id="mit-code-3")  # a known job given a string
    support = signed_in(app, world.support)
    html = support.get(PAGE).get_data(as_text=True)
    assert count(html, "waiting") == 2 and count(html, "planned") == 1
    assert "Zugangscode senden" in section(html, "waiting")
    assert CODE not in html
    app.task_queue.remove("mit-code-3")  # what send_code makes of a string differs by database: not the point here
    run_jobs(app)  # the careless job fails
    html = support.get(PAGE).get_data(as_text=True)
    failed = unescape(section(html, "failed"))
    assert count(html, "failed") == 1 and "tests.test_support_jobs.boom" in failed
    assert f"RuntimeError: Versand mit ('{MASK}',) {{'code': '{MASK}'}} gescheitert" in failed
    assert CODE not in html


@pytest.mark.parametrize("who", ["chef_a", "therapeut_a"])
def test_only_support_sees_or_requeues_jobs(app, world, who):
    enqueue(app, "tests.test_support_jobs.broken", job_id="kaputt-1")
    run_jobs(app)
    client = signed_in(app, getattr(world, who))
    for method, url in (("GET", PAGE), ("POST", f"{PAGE}/kaputt-1/erneut"), ("POST", f"{PAGE}/alle-erneut")):
        response = client.open(url, method=method)
        assert response.status_code == 403 and "keine Berechtigung" in response.get_data(as_text=True), url
    assert FailedJobRegistry(queue=app.task_queue).get_job_ids() == ["kaputt-1"]
    assert audit_entries(app, "job.requeued") == []
    assert "/anmelden" in app.test_client().get(PAGE).headers["Location"]


def test_redis_down_says_so_in_german_instead_of_failing(migrated, database_url, world):
    down = make_app(database_url, "redis://127.0.0.1:1/0", RATELIMIT_STORAGE_URI="memory://")
    support = signed_in(down, world.support)
    response = support.get(PAGE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and QUEUE_DOWN in html and 'id="jobs-waiting"' not in html
    response = support.post(f"{PAGE}/kaputt-1/erneut", headers=HX)
    assert response.status_code == 200 and QUEUE_DOWN in response.get_data(as_text=True)
    assert audit_entries(down, "job.requeued") == []


def test_every_job_the_portal_enqueues_or_schedules_has_german_words(cron_entries):
    sources = "\n".join(p.read_text() for p in Path(portal.__file__).parent.rglob("*.py"))
    enqueued = set()
    for path in set(re.findall(r'"(portal(?:\.\w+){2,})"', sources)):
        try:
            if inspect.isfunction(import_attribute(path)):
                enqueued.add(path)
        except (ImportError, AttributeError, ValueError):
            continue
    registered = {f"{entry['func'].__module__}.{entry['func'].__qualname__}" for entry in cron_entries.values()}
    assert len(enqueued) >= 5 and len(registered) >= 6
    assert (enqueued | registered) - set(jobs.KINDS) == set()


TRACEBACK = '''Traceback (most recent call last):
  File "/srv/portal/codes/jobs.py", line 40, in send_code
    deliver(request)
KeyError: 'x'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/portal/codes/jobs.py", line 42, in send_code
    raise SMTPDataError(554, "Code 123456 abgelehnt")
smtplib.SMTPDataError: (554, 'Code 123456 abgelehnt')
'''


@pytest.mark.parametrize("stored, shown", [
    (TRACEBACK, f"smtplib.SMTPDataError: (554, 'Code {MASK} abgelehnt')"),
    ("Job abandoned: the worker stopped", "Job abandoned: the worker stopped"),
    ("Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: Nummer 12345 und 1234567\nmehr",
     f"ValueError: Nummer 12345 und {MASK}"),
    ("smtplib.SMTPRecipientsRefused: {'anna.schmidt@praxis.example': (550, b'5.1.1 unknown')}",
     "smtplib.SMTPRecipientsRefused: {'[E-Mail]': (550, b'5.1.1 unknown')}"),
    ("", ""),
    (None, ""),
])
def test_the_error_line_is_the_exceptions_own_line_with_long_digit_runs_masked(stored, shown):
    assert error_line(stored) == shown


def test_a_very_long_error_line_is_cut():
    line = error_line("RuntimeError: " + "x" * 1000)
    assert len(line) == 300 and line.endswith("…")
