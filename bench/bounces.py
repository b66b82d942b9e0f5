"""Benchmark: delivery reports, from the SMTP intake to the therapist list, and the parser.

1. Latency: code mails are sent through the SMTP sink; then, one at a time, a Postfix report for
   each is delivered over SMTP to the intake (``flask --app wsgi bounces serve``, its own
   process), and the list fragment (searched for the therapist's name) is fetched until the row
   says "Zustellung gescheitert".
   Prints the median and the maximum from the start of the SMTP delivery to the status visible
   in the fragment. Goal: median under 1 s.
2. Parser throughput on a mixed set written for the tests (Postfix, Exim, Exchange, Gmail,
   qmail, out-of-office, a person's reply). Goal: at least 200 reports a second.

    .venv/bin/python bench/bounces.py [--reports 30] [--parse 2000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rq import SimpleWorker  # noqa: E402
from sqlalchemy import select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.bounces.parser import read  # noqa: E402
from portal.codes.models import CodeRequest  # noqa: E402
from portal.codes.request import request_code  # noqa: E402
from portal.devtools import bounce_samples  # noqa: E402
from portal.devtools.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from portal.devtools.schema import rebuild  # noqa: E402
from portal.devtools.smtp_sink import SmtpSink  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Licence, LicenceKind, PracticeGroup, Role, Therapist, User  # noqa: E402
from portal.outbox.return_path import envelope_sender  # noqa: E402

BOUNCES = "bounces@praxisportal.example"
PASSWORD = "bench-passwort-2026"
FRAGMENT = {"HX-Request": "true", "HX-Target": "therapist-table", "HX-Trigger": "filter-form"}


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("the SMTP intake did not start")


def deliver(port: int, recipient: str, report: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail("", [recipient], re.sub(rb"\r?\n", b"\r\n", report))


def seed(app, n: int) -> list[tuple[int, str, str, bytes]]:
    """A licensed group with n therapists whose code mails were accepted: (therapist id, last
    name, VERP address, a report about the mail) each."""
    with app.app_context():
        group = PracticeGroup(name="Bench")
        group.licences = [Licence(kind=k, valid_from=date(2020, 1, 1)) for k in LicenceKind]
        db.session.add(group)
        db.session.flush()
        user = User(email="chef@bench.example", role=Role.CHEF, group_id=group.id)
        user.set_password(PASSWORD)
        db.session.add(user)
        therapists = [Therapist(group_id=group.id, first_name="T", last_name=f"N{i:03d}", app_enabled=True,
                                email=f"t{i}@unzustellbar.example") for i in range(n)]
        db.session.add_all(therapists)
        db.session.flush()
        for therapist in therapists:
            request_code(therapist)
        db.session.commit()
        SimpleWorker([app.task_queue], connection=app.redis).work(burst=True)
        out = []
        for request in db.session.scalars(select(CodeRequest).order_by(CodeRequest.id)):
            original = (f"Message-ID: {request.message_id}\nFrom: zugang@praxisportal.example\nTo: {request.email}\n"
                        f"Subject: Ihr Zugangscode\n\nCode").encode()
            verp = envelope_sender(request.id)
            out.append((request.therapist_id, request.therapist.last_name, verp,
                        bounce_samples.postfix(original, verp, request.email)))
        return out


def latency(app, port: int, reports) -> list[float]:
    client = app.test_client()
    client.post("/anmelden", data={"email": "chef@bench.example", "password": PASSWORD})
    seconds = []
    for therapist_id, name, verp, report in reports:
        started = time.perf_counter()
        deliver(port, verp, report)
        row = re.compile(rf'<tr id="therapist-{therapist_id}">.*?Zustellung gescheitert', re.S)
        while True:
            html = client.get(f"/therapeuten?q={name}", headers=FRAGMENT).get_data(as_text=True)
            if row.search(html):
                break
            if time.perf_counter() - started > 30:
                raise TimeoutError(f"therapist {therapist_id}: the status did not change")
        seconds.append(time.perf_counter() - started)
    return seconds


def parser_throughput(n: int) -> tuple[float, dict[str, float]]:
    original = (b"Message-ID: <abc@praxisportal.example>\nFrom: zugang@praxisportal.example\n"
                b"To: anna@unzustellbar.example\nSubject: Ihr Zugangscode\n\nCode")
    samples = {name: make(original, BOUNCES, "anna@unzustellbar.example")
               for name, make in bounce_samples.LAYOUTS.items()}
    samples["out_of_office"] = bounce_samples.out_of_office("<abc@praxisportal.example>", BOUNCES, "anna@x.example")
    samples["reply"] = bounce_samples.reply(BOUNCES, "anna@x.example")
    per_layout: dict[str, list[float]] = {name: [] for name in samples}
    started = time.perf_counter()
    for name in itertools.islice(itertools.cycle(samples), n):
        one = time.perf_counter()
        read(samples[name])
        per_layout[name].append(time.perf_counter() - one)
    elapsed = time.perf_counter() - started
    return n / elapsed, {name: statistics.median(times) * 1000 for name, times in per_layout.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=30)
    parser.add_argument("--parse", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-bounces-"))
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    redis = EmbeddedRedis().start()
    sink = SmtpSink(tmp / "mails").start()
    port = free_port()
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis.url, "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(sink.port), "PORTAL_ENV": "testing", "MAIL_BOUNCE_ADDRESS": BOUNCES}
    os.environ.update(env)
    app = create_app("testing")
    rebuild(app)
    reports = seed(app, args.reports)
    intake = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "bounces", "serve", "--port", str(port)],
                              cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        seconds = latency(app, port, reports)
    finally:
        intake.terminate()
        intake.wait(10)
        sink.stop()
        redis.stop()
    rate, per_layout = parser_throughput(args.parse)
    print(f"database: {database_url.split(':')[0]}, {args.reports} therapists in the list")
    print(f"report delivered over SMTP to status visible in the list fragment: median "
          f"{statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms (goal: median < 1000 ms)")
    print(f"parser: {args.parse} mixed reports, {rate:.0f} per second (goal: >= 200)")
    print("parser median per layout: " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in sorted(per_layout.items())))


if __name__ == "__main__":
    main()
