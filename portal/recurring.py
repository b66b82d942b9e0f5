"""The recurring jobs ``rq cron`` enqueues (portal/cron_config.py), each run at most once per tick.

Operators may run ``rq cron`` twice (one per machine, so one may die); each process enqueues
every job on its own clock and RQ has no lock between them. So each job first takes a lock in
Redis that lives slightly shorter than its interval: the first process's job of a tick runs, the
other's finds the lock and returns. Runs are counted per job (``/metrics``)."""

from __future__ import annotations

import socket
from collections.abc import Callable

from flask import current_app

from . import jobs
from .accounts.mails import sweep as account_mail_sweep
from .bounces.imap import poll as poll_bounce_mailbox
from .calendars.jobs import fetch_due as calendar_fetch_due
from .checkin.privacy import retention_job
from .codes.jobs import sweep as code_sweep
from .i18n import N_
from .scripts.jobs import sweep_runs
from .therapist_db.jobs import generate_missing
from .therapist_db.jobs import sweep as database_sweep

LOCK_KEY = "portal:recurring:lock:{}"
RUNS_KEY = "portal:recurring:runs"
SKIPS_KEY = "portal:recurring:skips"  # enqueued again within the tick (by a second rq cron)
LOCK_SHARE = 0.9  # of the interval: a tick's second enqueue finds the lock, the next tick's does not
SATURDAY_LOCK_SECONDS = 20 * 3600  # the Saturday run: once that day, however many processes ask


def once_per_tick(name: str, seconds: float, work: Callable[[], object]):
    """Run ``work`` unless this job already ran within the last ``seconds`` × LOCK_SHARE."""
    redis = current_app.redis
    holder = f"{socket.gethostname()}:{name}"
    if not redis.set(LOCK_KEY.format(name), holder, nx=True, px=int(seconds * LOCK_SHARE * 1000)):
        current_app.logger.info("%s: in diesem Takt schon gelaufen, übersprungen", name)
        redis.hincrby(SKIPS_KEY, name, 1)
        return "skipped"
    redis.hincrby(RUNS_KEY, name, 1)
    return work()


SWEEP_SECONDS = 60
SLOW_SWEEP_SECONDS = 300


def code_sweeper():
    return once_per_tick("code-sweeper", SWEEP_SECONDS, code_sweep)


def account_mail_sweeper():
    return once_per_tick("account-mail-sweeper", SWEEP_SECONDS, account_mail_sweep)


def bounce_mailbox():
    return once_per_tick("bounce-mailbox", SWEEP_SECONDS, poll_bounce_mailbox)


def database_sweeper():
    return once_per_tick("database-sweeper", SLOW_SWEEP_SECONDS, database_sweep)


def script_run_sweeper():
    return once_per_tick("script-run-sweeper", SLOW_SWEEP_SECONDS, sweep_runs)


CALENDAR_SECONDS = 15 * 60  # every quarter hour on the clock (cron "*/15"), so two rq cron processes share a slot


def calendar_feeds():
    return once_per_tick("calendar-feeds", CALENDAR_SECONDS, calendar_fetch_due)


DAY_SECONDS = 24 * 3600


def checkin_retention():
    return once_per_tick("checkin-retention", DAY_SECONDS, retention_job)


def saturday_databases():
    return once_per_tick("therapist-databases-saturday", SATURDAY_LOCK_SECONDS / LOCK_SHARE, generate_missing)


for _job, _label in (
        (code_sweeper, N_("Liegengebliebene Zugangscodes übergeben")),
        (account_mail_sweeper, N_("Liegengebliebene Konto-E-Mails übergeben")),
        (database_sweeper, N_("Liegengebliebene Therapeuten-Datenbanken übergeben")),
        (script_run_sweeper, N_("Script-Läufe prüfen")),
        (bounce_mailbox, N_("Postfach mit Zustellberichten abrufen")),
        (saturday_databases, N_("Fehlende Therapeuten-Datenbanken erzeugen (samstags)")),
        (checkin_retention, N_("Aufbewahrungsfristen der Kursteilnehmer anwenden")),
        (calendar_feeds, N_("Abonnierte Kalender abrufen (viertelstündlich)"))):
    jobs.describe(_job, _label)
