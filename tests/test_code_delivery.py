"""Delivering the code mail: what it holds, retries when the SMTP server is down or busy, a
permanent refusal, Redis down, a killed worker, and the code never stored in plain text."""

import base64
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import dkim
import pytest
from rq.job import JobStatus
from sqlalchemy import select, text

from portal.codes.jobs import send_code, sweep
from portal.codes.models import CodeRequest
from portal.codes.status import StatusKey, status_for
from portal.devtools.embedded_redis import free_port
from portal.devtools.smtp_sink import MaildirHandler, SmtpSink
from portal.extensions import db
from portal.models import Therapist
from portal.outbox.delivery import Delivery
from portal.timeutil import clock

from .conftest import make_app
from .helpers import activate, code_in, run_jobs, save_dialog, signed_in

T0 = datetime(2026, 11, 26, 13, 32, 10, tzinfo=UTC)  # 14:32 in Berlin


def the_request(app, therapist_id) -> CodeRequest:
    with app.app_context():
        return db.session.scalars(select(CodeRequest).where(CodeRequest.therapist_id == therapist_id)).one()


def _special_sink(tmp_path, handler_cls, port=None):
    sink = SmtpSink(tmp_path / "special", port=port)
    sink.handler = handler_cls(sink.directory)
    sink.controller.handler = sink.handler
    return sink.start()


class Temporarily(MaildirHandler):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "451 4.3.0 Mailbox temporarily unavailable, try again later"


class Refusing(MaildirHandler):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


def test_the_mail_has_the_headers_and_parts_the_spec_asks_for(app, as_user, world, smtp_sink):
    activate(app, as_user(world.chef_a), world.therapist_a)
    run_jobs(app)
    mail = smtp_sink.messages()[0]
    assert mail["From"] == "Therapeuten-App <zugang@praxisportal.example>"
    assert mail["Reply-To"] and mail["Date"] and mail["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(r"<[^@>]+@praxisportal\.example>", mail["Message-ID"])
    assert mail["Subject"] == "Ihr Zugangscode für die Therapeuten-App"
    plain, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
    code = code_in(mail)
    for part in (plain, html):
        assert code in part and "Praxisgruppe Nord" in part and "nur für eine einzige Anmeldung" in part
        assert "nicht erwartet" in part and "gilt bis" in part
        assert "http://localhost:5000/app/" in part  # the web app, on the portal itself
    # no remote image, no tracking: the one address in the mail is the portal's web app
    assert not re.search(r"<img|src=", html)
    assert set(re.findall(r"https?://[^\s\"<]+", html)) == {"http://localhost:5000/app/"}


def test_the_mail_states_an_expiry_15_minutes_after_the_server_accepted_it(app, as_user, world, smtp_sink):
    clock.set(T0)
    activate(app, as_user(world.chef_a), world.therapist_a)
    run_jobs(app)
    request = the_request(app, world.therapist_a)
    assert request.accepted_at == T0
    assert request.expires_at == datetime(2026, 11, 26, 13, 48, tzinfo=UTC)  # 15 min, rounded up to the minute
    assert "gilt bis 26.11.2026, 14:48 Uhr" in smtp_sink.messages()[0].get_body(("plain",)).get_content()


def test_spamassassin_scores_the_real_mail_below_one(app, as_user, world, smtp_sink):
    spamassassin = shutil.which("spamassassin")
    if spamassassin is None:
        pytest.fail("spamassassin fehlt: bin/test installiert es als root mit apt-get.")
    activate(app, as_user(world.chef_a), world.therapist_a)
    run_jobs(app)
    raw = sorted(smtp_sink.directory.glob("*.eml"))[0].read_bytes()
    result = subprocess.run([spamassassin, "-x", "-t", "-L", "--cf=use_bayes 0"], input=raw,
                            capture_output=True, timeout=120)
    report = result.stdout.decode(errors="replace")
    score = float(re.search(r"X-Spam-Status: \w+, score=(-?[\d.]+)", report).group(1))
    assert score < 1.0, report[-3000:]


def test_the_mail_is_dkim_signed_when_a_key_is_configured(migrated, database_url, redis_url, world, smtp_sink,
                                                          tmp_path):
    key_path = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(key_path), "2048"], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(key_path), "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    public = base64.b64encode(der).decode()
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port,
                   DKIM_DOMAIN="praxisportal.example", DKIM_SELECTOR="portal", DKIM_PRIVATE_KEY_PATH=str(key_path))
    activate(app, signed_in(app, world.chef_a), world.therapist_a)
    run_jobs(app)
    raw = sorted(smtp_sink.directory.glob("*.eml"))[0].read_bytes()
    assert raw.startswith(b"DKIM-Signature:") and b"d=praxisportal.example" in raw

    def dns(name, timeout=5):
        assert name == b"portal._domainkey.praxisportal.example."
        return f"v=DKIM1; k=rsa; p={public}".encode()

    assert dkim.verify(raw, dnsfunc=dns)


def _database_text(app) -> bytes:
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            db.session.remove()
            db.engine.dispose()
            files = [url.database, url.database + "-wal", url.database + "-journal"]
            return b"".join(open(p, "rb").read() for p in files if os.path.exists(p))
        chunks = []
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                chunks += [str(row).encode() for row in conn.execute(text(f"SELECT * FROM {table.name}"))]
        return b"\n".join(chunks)


def _redis_text(app) -> bytes:
    chunks = []
    for key in app.redis.scan_iter():
        chunks.append(key)
        kind = app.redis.type(key).decode()
        if kind == "string":
            chunks.append(app.redis.get(key))
        elif kind == "hash":
            chunks += [b"%s=%s" % kv for kv in app.redis.hgetall(key).items()]
        elif kind == "list":
            chunks += app.redis.lrange(key, 0, -1)
        elif kind == "set":
            chunks += list(app.redis.smembers(key))
        elif kind == "zset":
            chunks += [m for m, _ in app.redis.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            chunks += [str(e).encode() for e in app.redis.xrange(key)]
    return b"\n".join(chunks)


def test_the_plain_code_is_nowhere_but_in_the_mail(app, as_user, world, smtp_sink, caplog):
    caplog.set_level("DEBUG")
    activate(app, as_user(world.chef_a), world.therapist_a)
    run_jobs(app)
    code = code_in(smtp_sink.messages()[0])
    assert code.encode() not in _database_text(app)
    assert code.encode() not in _redis_text(app)
    assert code not in caplog.text
    assert len(the_request(app, world.therapist_a).code_hash) == 32


@pytest.mark.parametrize("trouble", ["down", "4xx"])
def test_smtp_trouble_retries_with_back_off_and_sends_when_the_server_is_back(
        migrated, database_url, redis_url, world, tmp_path, trouble):
    port = free_port()
    broken = _special_sink(tmp_path, Temporarily, port) if trouble == "4xx" else None
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=3)
    clock.set(T0)
    client = signed_in(app, world.chef_a)
    activate(app, client, world.therapist_a)
    run_jobs(app)
    request = the_request(app, world.therapist_a)
    assert request.delivery == Delivery.RETRYING and request.attempts == 1
    assert request.next_attempt_at == T0 + timedelta(seconds=30)
    with app.app_context():  # the retry's own job outlives the job that planned it
        assert app.task_queue.scheduled_job_registry.get_job_ids() == [f"code-request-{request.id}-retry-1"]
    html = client.get(f"/therapeuten/{world.therapist_a}/zugangscode").get_data(as_text=True)
    assert "Versand fehlgeschlagen – neuer Versuch um 14:32" in html and "hx-trigger" in html
    if trouble == "4xx":
        assert request.smtp_response.startswith("451")
        broken.stop()
    working = SmtpSink(tmp_path / "working", port=port).start()
    try:
        clock.set(T0 + timedelta(minutes=2))
        with app.app_context():
            assert sweep() == 1
        run_jobs(app)
        assert len(working.messages()) == 1
        assert the_request(app, world.therapist_a).delivery == Delivery.ACCEPTED
        html = client.get(f"/therapeuten/{world.therapist_a}/zugangscode").get_data(as_text=True)
        assert "gesendet, gültig bis" in html
    finally:
        working.stop()


def test_a_retry_job_that_runs_early_sends_nothing(migrated, database_url, redis_url, world):
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=3)
    clock.set(T0)
    activate(app, signed_in(app, world.chef_a), world.therapist_a)
    run_jobs(app)
    request = the_request(app, world.therapist_a)
    with app.app_context():
        assert send_code(request.id) == "skipped"  # the retry is due in 30 seconds, not now
    assert the_request(app, world.therapist_a).attempts == 1


def test_retries_give_up_after_the_last_back_off(migrated, database_url, redis_url, world):
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=3)
    clock.set(T0)
    activate(app, signed_in(app, world.chef_a), world.therapist_a)
    run_jobs(app)
    for _ in range(4):
        clock.advance(timedelta(hours=1))
        with app.app_context():
            sweep()
        run_jobs(app)
    request = the_request(app, world.therapist_a)
    assert request.delivery == Delivery.FAILED and request.attempts == 5
    with app.app_context():
        assert status_for(world.therapist_a).key == StatusKey.FAILED


def test_a_permanent_refusal_marks_the_address_undeliverable_until_it_is_edited(
        migrated, database_url, redis_url, world, tmp_path):
    refusing = _special_sink(tmp_path, Refusing)
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=refusing.port)
    try:
        client = signed_in(app, world.chef_a)
        activate(app, client, world.therapist_a)
        run_jobs(app)
    finally:
        refusing.stop()
    request = the_request(app, world.therapist_a)
    assert request.delivery == Delivery.REFUSED and "550 5.1.1" in request.smtp_response
    dialog = client.get(f"/therapeuten/{world.therapist_a}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Adresse abgelehnt: 550 5.1.1" in dialog
    assert "Die E-Mail-Adresse ist nicht empfangsbereit: 550 5.1.1" in dialog
    save_dialog(app, client, world.therapist_a, email="anna.schmidt@richtig.example")
    with app.app_context():
        assert db.session.get(Therapist, world.therapist_a).email_refused is None


def test_redis_down_keeps_the_request_and_the_sweeper_sends_it_when_redis_is_back(
        migrated, database_url, redis_url, world, smtp_sink):
    down = make_app(database_url, "redis://127.0.0.1:1/0", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port,
                    RATELIMIT_STORAGE_URI="memory://")
    html = activate(down, signed_in(down, world.chef_a), world.therapist_a).get_data(as_text=True)
    assert "Der Hintergrunddienst ist gerade nicht erreichbar" in html
    assert "Ein neuer Zugangscode wird an anna.schmidt@praxis.example gesendet." in html
    assert html.count("gespeichert") == 1  # said once, not twice
    with down.app_context():
        assert db.session.get(Therapist, world.therapist_a).app_enabled  # the change itself is saved
    assert the_request(down, world.therapist_a).delivery == Delivery.PENDING
    up = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port)
    with up.app_context():
        assert sweep() == 1
        assert sweep() == 0  # its job is in Redis now
    run_jobs(up)
    assert len(smtp_sink.messages()) == 1
    assert the_request(up, world.therapist_a).delivery == Delivery.ACCEPTED


def test_a_killed_worker_claim_is_sent_again_but_never_after_acceptance(app, as_user, world, smtp_sink):
    clock.set(T0)
    activate(app, as_user(world.chef_a), world.therapist_a)
    app.redis.flushdb()  # the job is lost with the worker
    with app.app_context():
        request = db.session.scalars(select(CodeRequest)).one()
        request.delivery, request.sending_started_at = Delivery.SENDING, T0
        db.session.commit()
        clock.set(T0 + timedelta(minutes=4))
        assert sweep() == 0  # not stuck yet
        clock.set(T0 + timedelta(minutes=6))
        assert sweep() == 1
    run_jobs(app)
    assert len(smtp_sink.messages()) == 1
    with app.app_context():
        request_id = db.session.scalars(select(CodeRequest.id)).one()
        clock.set(T0 + timedelta(hours=2))
        assert sweep() == 0
        assert send_code(request_id) == "skipped"
    assert len(smtp_sink.messages()) == 1


def test_a_worker_killed_before_its_claim_leaves_nothing_stuck(app, as_user, world, smtp_sink):
    """The job looks "started" to RQ for good, the request is still pending: once that start is
    older than a claim may take, the sweeper hands it over again."""
    activate(app, as_user(world.chef_a), world.therapist_a)
    with app.app_context():
        request_id = db.session.scalars(select(CodeRequest.id)).one()
        job = app.task_queue.fetch_job(f"code-request-{request_id}")
        app.task_queue.remove(job)
        job.set_status(JobStatus.STARTED)  # what a worker killed right after taking it leaves
        job.started_at = datetime.now(UTC) - timedelta(seconds=30)
        job.save()
        assert sweep() == 0  # a claim may take this long
        job.started_at = datetime.now(UTC) - timedelta(seconds=app.config["ACCESS_CODE_STUCK_AFTER_SECONDS"] + 1)
        job.save()
        assert sweep() == 1
    run_jobs(app)
    assert len(smtp_sink.messages()) == 1
