"""``bin/run``: the portal with demo data on embedded defaults, for a fresh machine.

SQLite under ``instance/``, the Redis at ``REDIS_URL`` or one started here when none answers,
an SMTP sink on loopback that keeps every mail under ``instance/mail-sink/`` (readable at
``/dev/mails``) and returns a delivery report for addresses on ``unzustellbar.example``, the
bounce intake that takes those reports, a sample practice calendar on loopback that a demo
therapist subscribes to, an RQ worker with its scheduler, ``rq cron`` for the recurring jobs, and
the development web server.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from flask_migrate import upgrade

from portal import create_app, jobs
from portal.calendars.services import FETCH_JOB
from portal.calendars.services import job_id as calendar_job_id
from portal.devtools import demo_calendar
from portal.devtools.demo import NAMES, PASSWORD, USERS, connect_demo_calendar, load_demo_data
from portal.devtools.embedded_redis import EmbeddedRedis, free_port, redis_answers
from portal.devtools.feed_server import FeedServer
from portal.devtools.smtp_sink import UNDELIVERABLE_DOMAIN, SmtpSink
from portal.timeutil import today_berlin

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Therapeuten-App-Portal lokal starten")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    os.environ.setdefault("PORTAL_ENV", "development")

    instance = ROOT / "instance"
    instance.mkdir(exist_ok=True)
    cleanups = []

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if redis_answers(redis_url):
        print(f"Redis:    {redis_url} (vorhanden)")
    else:
        embedded = EmbeddedRedis().start()
        cleanups.append(embedded.stop)
        redis_url = embedded.url
        print(f"Redis:    {redis_url} (eingebettet gestartet, keiner antwortete)")
    os.environ["REDIS_URL"] = redis_url

    os.environ.setdefault("MAIL_BOUNCE_ADDRESS", "bounces@praxisportal.example")
    bounce_port = free_port()
    if not os.environ.get("MAIL_SERVER"):
        sink = SmtpSink(instance / "mail-sink", bounce_to=("127.0.0.1", bounce_port)).start()
        cleanups.append(sink.stop)
        os.environ["MAIL_SERVER"], os.environ["MAIL_PORT"] = "127.0.0.1", str(sink.port)
        os.environ["MAIL_SINK_DIR"] = str(sink.directory)
        print(f"SMTP:     127.0.0.1:{sink.port} (Sammelstelle; an @{UNDELIVERABLE_DOMAIN} kommt ein Zustellbericht "
              "zurück)")

    # the demo practice's calendar, served here on loopback (which only development may fetch)
    os.environ.setdefault("CALENDAR_ALLOW_PRIVATE_HOSTS", "1")
    feeds = FeedServer({demo_calendar.PATH: lambda: demo_calendar.sample_feed(today_berlin())}).start()
    cleanups.append(feeds.stop)
    print(f"Kalender: Beispielkalender der Praxis am Markt auf 127.0.0.1:{feeds.port} (abonniert für Marie Richter)")

    app = create_app()
    migrate_database(app)
    with app.app_context():
        load_demo_data()
        calendar_id = connect_demo_calendar(feeds.url(demo_calendar.PATH))

    with app.app_context():  # the demo's activated therapists get their databases right away
        jobs.enqueue("portal.therapist_db.jobs.generate_missing", job_id="demo-databases", job_timeout=3600)
        jobs.enqueue(FETCH_JOB, calendar_id, job_id=calendar_job_id(calendar_id))
    bounces = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "bounces", "serve", "--port",
                                str(bounce_port)], cwd=ROOT)
    cleanups.append(lambda: _stop(bounces))
    print(f"Bounces:  Zustellberichte per SMTP auf 127.0.0.1:{bounce_port} für {os.environ['MAIL_BOUNCE_ADDRESS']}")
    worker = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT)
    cleanups.append(lambda: _stop(worker))
    print(f"Worker:   RQ-Worker gestartet (PID {worker.pid})")
    cron = subprocess.Popen([sys.executable, "-m", "rq.cli", "cron", "portal.cron_config", "--url", redis_url,
                             "--logging-level", "WARNING"], cwd=ROOT)
    cleanups.append(lambda: _stop(cron))
    print(f"Cron:     rq cron mit portal/cron_config.py (PID {cron.pid})")
    print()
    print(f"Portal:   http://{args.host}:{args.port}/")
    print(f"Mails:    http://{args.host}:{args.port}/dev/mails (was die SMTP-Sammelstelle empfangen hat)")
    print("Demo-Anmeldungen (Passwort für alle: " + PASSWORD + "):")
    for email, role in USERS:
        print(f"  {role.value:<10} {email:<31} {NAMES[email]}")
    print("  (support richtet bei der ersten Anmeldung einen zweiten Faktor ein: Authenticator-App oder Passkey.)")
    print("Beenden mit Strg+C.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        app.run(host=args.host, port=args.port, use_reloader=False, threaded=True)
    finally:
        for cleanup in reversed(cleanups):
            cleanup()
    return 0


def migrate_database(app) -> None:
    """The schema at the newest revision, migrated in this process before it serves; the portal's
    log configuration stays as create_app set it (migrations/env.py leaves it alone)."""
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    sys.exit(main())
