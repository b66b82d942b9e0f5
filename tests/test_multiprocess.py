"""Production's shape on one machine: two gunicorn web servers, two workers, two ``rq cron``
processes and the bounce receiver, real processes against one PostgreSQL and one Redis. A burst
of activations goes through both web servers, a worker is killed with SIGKILL while it sends a
code mail and started again, devices sign in and sync; then nothing a user would notice has
happened twice, and nothing is lost."""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest
import redis
from rq import Worker
from sqlalchemy import select

from portal.codes.models import CodeRequest
from portal.devtools.cluster import Browser, Cluster
from portal.devtools.embedded_redis import free_port
from portal.devtools.smtp_sink import UNDELIVERABLE_DOMAIN, SmtpSink
from portal.extensions import db
from portal.models import Role, Therapist
from portal.outbox.delivery import Delivery
from portal.recurring import RUNS_KEY, SKIPS_KEY
from portal.therapist_db.models import TherapistDatabase

from . import factories as f
from .conftest import clean_database, make_app
from .helpers import code_in

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="production's shape: PostgreSQL (CI runs this on PostgreSQL)")

THERAPISTS = 16
BOUNCING = 2  # of them with an address the relay reports undeliverable
BOUNCES = "bounces@praxisportal.example"
FINAL = (Delivery.ACCEPTED, Delivery.BOUNCED)


def _wait(condition, timeout: float, what: str, step: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def practice_group(migrated, database_url, redis_url):
    app = make_app(database_url, redis_url)
    app.redis.flushdb()
    with app.app_context():
        group = f.group("Praxisgruppe Viele Prozesse")
        practice = f.practice(group, "Praxis Mitte")
        f.user(group, Role.CHEF, "chef@prozesse.example")
        ids = []
        for n in range(THERAPISTS):
            domain = UNDELIVERABLE_DOMAIN if n < BOUNCING else "praxis.example"
            therapist = f.therapist(group, "Thera", f"Pist{n:02d}", email=f"t{n:02d}@{domain}", practices=[practice])
            f.appointment(therapist, practice)
            ids.append(therapist.id)
        db.session.commit()
        form = {tid: {"first_name": "Thera", "last_name": db.session.get(Therapist, tid).last_name,
                      "email": db.session.get(Therapist, tid).email, "practices": [str(practice.id)]} for tid in ids}
    yield app, ids, form
    clean_database(app)


def _requests(app) -> list[CodeRequest]:
    with app.app_context():
        return list(db.session.scalars(select(CodeRequest).order_by(CodeRequest.id)))


def _kill_a_worker_mid_send(app, cluster: Cluster, workers, connection, relay: SmtpSink) -> tuple[object, int]:
    """SIGKILL a worker that has claimed a code request and is talking to the relay right now,
    while the relay still holds its RCPT (so the mail was not handed over: a kill after the relay
    took the DATA is the one case no sender can tell apart, and would rightly send twice);
    returns it and the request it held."""
    by_pid = {process.pid: process for process in workers}

    def sending():
        waiting = dict(list(relay.handler.in_rcpt.items()))  # address -> when its RCPT began
        if not waiting:
            return None
        for worker in Worker.all(connection=connection):
            job_id = worker.get_current_job_id()
            if worker.pid in by_pid and job_id and re.fullmatch(r"code-request-\d+", job_id):
                request_id = int(job_id.rsplit("-", 1)[1])
                with app.app_context():
                    request = db.session.get(CodeRequest, request_id)
                    began = waiting.get(request.email)
                    if request.delivery == Delivery.SENDING and began and time.monotonic() - began < limit:
                        return by_pid[worker.pid], request_id, began
        return None

    limit = relay.handler.rcpt_delay / 2  # so the kill lands well inside the delay, even on a busy machine
    victim, held, began = _wait(sending, 30, "a worker in the middle of a code mail", step=0.01)
    killed_after = time.monotonic() - began
    cluster.kill(victim)
    assert killed_after < relay.handler.rcpt_delay, "killed too late: the relay had answered the RCPT"
    return victim, held


def _generations(cluster: Cluster) -> Counter:
    """How often each therapist's database was written, from the workers' JSON log lines."""
    written = Counter()
    for log in cluster.directory.glob("worker-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and "geschrieben" in line:
                match = re.match(r"Datenbank von Therapeut (\d+) geschrieben", json.loads(line)["message"])
                if match:
                    written[int(match.group(1))] += 1
    return written


def test_several_processes_do_everything_once_and_lose_nothing(practice_group, database_url, redis_url, tmp_path):
    app, ids, form = practice_group
    bounce_port = free_port()
    relay = SmtpSink(tmp_path / "relay", bounce_to=("127.0.0.1", bounce_port), bounce_after=0.2,
                     rcpt_delay=0.5).start()  # a slow relay: workers spend their time in the SMTP talk
    cluster = Cluster(database_url, redis_url, tmp_path / "cluster", env={
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(relay.port), "MAIL_BOUNCE_ADDRESS": BOUNCES,
        "ACCESS_CODE_STUCK_AFTER_SECONDS": "5", "SATURDAY_CRON": "* * * * *", "API_RATE_LIMIT": "10000 per minute",
        "METRICS_TOKEN": "scrape-me",
    })
    connection = redis.Redis.from_url(redis_url)
    try:
        webs = [cluster.web(), cluster.web()]
        workers = [cluster.worker("worker-1"), cluster.worker("worker-2")]
        cron_started = time.monotonic()
        cluster.cron("cron-1")
        cluster.cron("cron-2")
        cluster.bounce_receiver(bounce_port)
        cluster.wait_until_serving()

        # a burst of activations through both web servers at once
        browsers = [Browser(web.port) for web in webs]
        for browser in browsers:
            browser.sign_in("chef@prozesse.example", f.PASSWORD)

        def activate(pair):
            therapist_id, browser = pair
            status, _, body = browser.request("POST", f"/therapeuten/{therapist_id}", {**form[therapist_id],
                                              "app_enabled": "y"}, headers={"HX-Request": "true"})
            assert status == 200, body[:300]

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(activate, zip(ids, cycle(browsers), strict=False)))

        victim, held = _kill_a_worker_mid_send(app, cluster, workers, connection, relay)
        cluster.restart(victim)

        # every code request ends accepted (or bounced, for the undeliverable ones): the one the
        # dead worker held through the sweeper that rq cron runs
        _wait(lambda: len(rows := _requests(app)) == THERAPISTS and all(r.delivery in FINAL for r in rows)
              and sum(r.delivery == Delivery.BOUNCED for r in rows) == BOUNCING, 150, "every mail out")
        requests = {r.therapist_id: r for r in _requests(app)}
        mails = Counter(message["To"] for message in relay.messages())
        assert sorted(mails.values()) == [1] * THERAPISTS, mails  # one mail per request, none lost
        assert {r.email for r in requests.values()} == set(mails)
        recovered = next(r for r in requests.values() if r.id == held)
        assert recovered.attempts >= 2 and recovered.delivery in FINAL  # the sweeper handed it over again
        assert sorted(r.therapist_id for r in requests.values() if r.delivery == Delivery.BOUNCED) == ids[:BOUNCING]

        # each database written once for its one change (the activation)
        def all_generated():
            with app.app_context():
                rows = db.session.scalars(select(TherapistDatabase)).all()
                return len(rows) == THERAPISTS and all(not r.stale and r.sha256 for r in rows)

        _wait(all_generated, 60, "every database")
        assert _generations(cluster) == Counter({tid: 1 for tid in ids})

        # devices sign in and sync through both web servers
        codes = {message["To"]: code_in(message) for message in relay.messages()}
        for therapist_id, browser in zip(ids[BOUNCING:], cycle(browsers), strict=False):
            email = requests[therapist_id].email
            body = json.dumps({"email": email, "code": codes[email], "device_name": "Tablet", "platform": "android"})
            status, _, answer = browser.request("POST", "/api/app/v1/session", body=body.encode(),
                                                headers={"Content-Type": "application/json"})
            assert status == 201, answer
            signed = json.loads(answer)
            sync = json.dumps({"version": signed["database"]["version"]}).encode()
            status, _, answer = browser.request("POST", "/api/app/v1/sync", body=sync, headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {signed['token']}"})
            assert status == 200 and json.loads(answer)["database"]["version"] == signed["database"]["version"]

        # each web server's metrics add up its two gunicorn processes (multiprocess mode)
        for browser in browsers:
            status, _, exposition = browser.request("GET", "/metrics", headers={"Authorization": "Bearer scrape-me"})
            signed_in_here = len(ids[BOUNCING:][browsers.index(browser)::2])
            assert status == 200 and f'portal_app_sign_ins_total{{outcome="ok"}} {float(signed_in_here)}' in exposition
            assert f'portal_mails{{kind="code",state="accepted"}} {float(THERAPISTS - BOUNCING)}' in exposition

        # a second change to four of them: written once more each, however many processes look
        changed = ids[BOUNCING:BOUNCING + 4]
        for therapist_id, browser in zip(changed, cycle(browsers), strict=False):
            status, _, _ = browser.request("POST", f"/therapeuten/{therapist_id}", {
                **form[therapist_id], "first_name": "Theresa", "app_enabled": "y"}, headers={"HX-Request": "true"})
            assert status == 200
        _wait(all_generated, 60, "the changed databases")
        assert _generations(cluster) == Counter({tid: 2 if tid in changed else 1 for tid in ids})

        # two rq cron processes: each recurring job ran once per tick, the Saturday run once
        _wait(lambda: connection.hget(RUNS_KEY, "therapist-databases-saturday"), 75, "the (every-minute) Saturday run")
        elapsed = time.monotonic() - cron_started
        runs = {name.decode(): int(count) for name, count in connection.hgetall(RUNS_KEY).items()}
        skips = {name.decode(): int(count) for name, count in connection.hgetall(SKIPS_KEY).items()}
        ticks = 1 + int(elapsed // 60)  # of one rq cron process, every minute from its start
        assert runs["therapist-databases-saturday"] == 1
        assert ticks - 1 <= runs["code-sweeper"] <= ticks, (runs, elapsed)
        assert runs["database-sweeper"] == 1 and runs["script-run-sweeper"] == 1
        assert skips["code-sweeper"] >= 1 and skips["database-sweeper"] == 1  # the other process enqueued too
        assert all(process.alive() for process in cluster.processes), [p.name for p in cluster.processes
                                                                       if not p.alive()]
    finally:
        cluster.stop()
        relay.stop()
