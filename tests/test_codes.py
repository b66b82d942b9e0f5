"""Access codes by e-mail: real Redis, a real aiosmtpd server, a real RQ SimpleWorker."""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from portal.codes.jobs import send_code, sweep
from portal.codes.models import CodeRequest, Delivery
from portal.codes.services import consume_code, status_for
from portal.devtools.embedded_redis import free_port
from portal.devtools.smtp_sink import MaildirHandler, SmtpSink
from portal.extensions import db
from portal.models import Therapist
from portal.timeutil import clock

from .conftest import HX, make_app, run_jobs

T0 = datetime(2026, 11, 26, 13, 32, 10, tzinfo=UTC)  # 14:32 in Berlin


def _form(app, therapist_id, **changes):
    with app.app_context():
        t = db.session.get(Therapist, therapist_id)
        data = {"first_name": t.first_name, "last_name": t.last_name, "email": t.email or "",
                "practices": [str(p.id) for p in t.practices]}
        if t.app_enabled:
            data["app_enabled"] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def activate(app, client, therapist_id):
    response = client.post(f"/therapeuten/{therapist_id}", headers=HX, data=_form(app, therapist_id, app_enabled="y"))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def code_in(message) -> str:
    return re.search(r"^\s{4}(\d{6})\s*$", message.get_body(("plain",)).get_content(), re.M).group(1)


def requests_of(app, therapist_id):
    with app.app_context():
        return db.session.scalars(
            select(CodeRequest).where(CodeRequest.therapist_id == therapist_id).order_by(CodeRequest.id)).all()


def consume(app, email, code, **kwargs):
    """consume_code in its own app context; the answer as plain values."""
    from types import SimpleNamespace
    with app.app_context():
        check = consume_code(email, code, **kwargs)
        return SimpleNamespace(ok=check.ok, error=check.error,
                               therapist_id=check.therapist.id if check.therapist else None)


def status_key(app, therapist_id):
    with app.app_context():
        return status_for(therapist_id).key


EMAIL = "anna.schmidt@praxis.example"


def test_activation_sends_exactly_one_mail_whose_code_signs_in_once(app, as_user, world, smtp_sink):
    client = as_user(world.chef_a)
    response = activate(app, client, world.therapist_a)
    assert "Ein neuer Zugangscode wird an anna.schmidt@praxis.example gesendet." in response.get_data(as_text=True)
    assert status_key(app, world.therapist_a) == "sending"
    run_jobs(app)
    mails = smtp_sink.messages()
    assert len(mails) == 1 and mails[0]["To"] == EMAIL
    code = code_in(mails[0])
    assert status_key(app, world.therapist_a) == "valid"
    first = consume(app, EMAIL.upper(), code, used_by="iPhone von Anna")
    assert first.ok and first.therapist_id == world.therapist_a
    assert consume(app, EMAIL, code).error == "invalid_code"
    assert status_key(app, world.therapist_a) == "used"
    request = requests_of(app, world.therapist_a)[0]
    assert request.used_by == "iPhone von Anna" and request.message_id == mails[0]["Message-ID"]


def test_a_job_carries_only_the_request_id(app, as_user, world):
    activate(app, as_user(world.chef_a), world.therapist_a)
    jobs = {job.func_name: job for job in app.task_queue.jobs}
    assert set(jobs) == {"portal.codes.jobs.send_code", "portal.appdb.jobs.generate_database"}
    job = jobs["portal.codes.jobs.send_code"]
    assert jobs["portal.appdb.jobs.generate_database"].args == (world.therapist_a,)
    assert job.args == (requests_of(app, world.therapist_a)[0].id,) and job.kwargs == {}


def test_resend_supersedes_the_earlier_code(app, as_user, world, smtp_sink):
    clock.set(T0)
    client = as_user(world.chef_a)
    activate(app, client, world.therapist_a)
    run_jobs(app)
    clock.advance(timedelta(seconds=31))
    response = client.post(f"/therapeuten/{world.therapist_a}/zugangscode?scope=list", headers=HX)
    assert "Ein neuer Zugangscode wird an" in response.get_data(as_text=True)
    run_jobs(app)
    first, second = (code_in(m) for m in smtp_sink.messages())
    assert consume(app, EMAIL, first).error == "invalid_code"
    assert consume(app, EMAIL, second).ok
    old, new = requests_of(app, world.therapist_a)
    assert old.superseded_at is not None and new.superseded_at is None


def test_a_second_request_within_30_seconds_sends_no_second_mail(app, as_user, world, smtp_sink):
    clock.set(T0)
    client = as_user(world.chef_a)
    activate(app, client, world.therapist_a)
    clock.advance(timedelta(seconds=29))
    html = client.post(f"/therapeuten/{world.therapist_a}/zugangscode?scope=dialog", headers=HX).get_data(as_text=True)
    assert "vor weniger als 30 Sekunden angefordert" in html and 'id="code-status-dialog-' in html
    run_jobs(app)
    assert len(smtp_sink.messages()) == 1 and len(requests_of(app, world.therapist_a)) == 1


def test_the_arrow_is_refused_while_the_app_is_not_activated(app, as_user, world, smtp_sink):
    html = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/zugangscode",
                                      headers=HX).get_data(as_text=True)
    assert "Aktivieren Sie zuerst die App" in html
    assert requests_of(app, world.therapist_a) == []


def test_the_code_expires_15_minutes_after_the_server_accepted_it(app, as_user, world, smtp_sink):
    clock.set(T0)
    activate(app, as_user(world.chef_a), world.therapist_a)
    run_jobs(app)
    mail = smtp_sink.messages()[0]
    request = requests_of(app, world.therapist_a)[0]
    assert request.accepted_at == T0
    assert request.expires_at == datetime(2026, 11, 26, 13, 48, tzinfo=UTC)  # 15 min, rounded up to the minute
    assert "gilt bis 26.11.2026, 14:48 Uhr" in mail.get_body(("plain",)).get_content()
    code = code_in(mail)
    clock.set(request.expires_at)
    assert consume(app, EMAIL, code).error == "invalid_code"
    assert status_key(app, world.therapist_a) == "expired"
    clock.set(request.expires_at - timedelta(seconds=1))
    assert status_key(app, world.therapist_a) == "valid"
    assert consume(app, EMAIL, code).ok


def test_five_wrong_attempts_lock_the_code(app, as_user, world, smtp_sink):
    activate(app, as_user(world.chef_a), world.therapist_a)
    run_jobs(app)
    code = code_in(smtp_sink.messages()[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert consume(app, EMAIL, wrong).error == "invalid_code"
    assert status_key(app, world.therapist_a) == "locked"
    assert consume(app, EMAIL, code).error == "invalid_code"


@pytest.mark.parametrize("email,code", [("niemand@praxis.example", "123456"), ("", ""), (EMAIL, "abc")])
def test_unknown_address_or_garbage_gets_the_same_answer(app, world, email, code):
    assert consume(app, email, code).error == "invalid_code"


def test_a_precondition_refusal_does_not_consume_the_code(app, as_user, world, smtp_sink):
    activate(app, as_user(world.chef_a), world.therapist_a)
    run_jobs(app)
    code = code_in(smtp_sink.messages()[0])
    refused = consume(app, EMAIL, code, precondition=lambda therapist: "database_not_ready")
    assert refused.error == "database_not_ready"
    assert consume(app, EMAIL, code).ok


def test_ten_threads_racing_for_one_code_exactly_one_wins(app, as_user, world, smtp_sink):
    activate(app, as_user(world.chef_a), world.therapist_a)
    run_jobs(app)
    code = code_in(smtp_sink.messages()[0])
    results, errors = [], []
    barrier = threading.Barrier(10)

    def sign_in(n):
        try:
            with app.app_context():
                barrier.wait()
                results.append(consume_code(EMAIL, code, used_by=f"Gerät {n}").ok)
        except Exception as exc:  # noqa: BLE001 - any error is a failure of the test
            errors.append(exc)

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and sorted(results) == [False] * 9 + [True]


def _database_text(app) -> bytes:
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            db.session.remove()
            db.engine.dispose()
            files = [url.database, url.database + "-wal", url.database + "-journal"]
            return b"".join(open(p, "rb").read() for p in files if __import__("os").path.exists(p))
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
        elif kind in ("set",):
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
    request = requests_of(app, world.therapist_a)[0]
    assert len(request.code_hash) == 32


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


@pytest.mark.parametrize("trouble", ["down", "4xx"])
def test_smtp_trouble_retries_with_back_off_and_sends_when_the_server_is_back(
        migrated, database_url, redis_url, world, tmp_path, trouble, as_user):
    port = free_port()
    broken = _special_sink(tmp_path, Temporarily, port) if trouble == "4xx" else None
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=3)
    clock.set(T0)
    client = app.test_client()
    client.post("/anmelden", data={"email": world.chef_a, "password": "richtig-langes-passwort"})
    activate(app, client, world.therapist_a)
    run_jobs(app)
    request = requests_of(app, world.therapist_a)[0]
    assert request.delivery == Delivery.RETRYING and request.attempts == 1
    assert request.next_attempt_at == T0 + timedelta(seconds=30)
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
        assert requests_of(app, world.therapist_a)[0].delivery == Delivery.ACCEPTED
        html = client.get(f"/therapeuten/{world.therapist_a}/zugangscode").get_data(as_text=True)
        assert "gesendet, gültig bis" in html
    finally:
        working.stop()


def test_retries_give_up_after_the_last_back_off(migrated, database_url, redis_url, world):
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=3)
    clock.set(T0)
    client = app.test_client()
    client.post("/anmelden", data={"email": world.chef_a, "password": "richtig-langes-passwort"})
    activate(app, client, world.therapist_a)
    run_jobs(app)
    for _ in range(4):
        clock.advance(timedelta(hours=1))
        with app.app_context():
            sweep()
        run_jobs(app)
    request = requests_of(app, world.therapist_a)[0]
    assert request.delivery == Delivery.FAILED and request.attempts == 5
    assert status_key(app, world.therapist_a) == "failed"


def test_a_permanent_refusal_marks_the_address_undeliverable_until_it_is_edited(
        migrated, database_url, redis_url, world, tmp_path):
    refusing = _special_sink(tmp_path, Refusing)
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=refusing.port)
    try:
        client = app.test_client()
        client.post("/anmelden", data={"email": world.chef_a, "password": "richtig-langes-passwort"})
        activate(app, client, world.therapist_a)
        run_jobs(app)
    finally:
        refusing.stop()
    request = requests_of(app, world.therapist_a)[0]
    assert request.delivery == Delivery.REFUSED and "550 5.1.1" in request.smtp_response
    dialog = client.get(f"/therapeuten/{world.therapist_a}", headers=HX).get_data(as_text=True)
    assert "Adresse abgelehnt: 550 5.1.1" in dialog
    assert "Der Mailserver hat die Adresse abgelehnt: 550 5.1.1" in dialog
    client.post(f"/therapeuten/{world.therapist_a}", headers=HX,
                data=_form(app, world.therapist_a, email="anna.schmidt@richtig.example"))
    with app.app_context():
        assert db.session.get(Therapist, world.therapist_a).email_refused is None


def test_redis_down_keeps_the_request_and_the_sweeper_sends_it_when_redis_is_back(
        migrated, database_url, redis_url, world, smtp_sink):
    down = make_app(database_url, "redis://127.0.0.1:1/0", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port,
                    RATELIMIT_STORAGE_URI="memory://")
    client = down.test_client()
    client.post("/anmelden", data={"email": world.chef_a, "password": "richtig-langes-passwort"})
    html = activate(down, client, world.therapist_a).get_data(as_text=True)
    assert "geht in Kürze automatisch hinaus" in html
    with down.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        assert t.app_enabled  # the change itself is saved
    assert requests_of(down, world.therapist_a)[0].delivery == Delivery.PENDING
    up = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port)
    with up.app_context():
        assert sweep() == 1
    run_jobs(up)
    assert len(smtp_sink.messages()) == 1
    assert requests_of(up, world.therapist_a)[0].delivery == Delivery.ACCEPTED


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
    assert not re.search(r"<img|src=|https?://", html)


def test_spamassassin_scores_the_real_mail_below_one(app, as_user, world, smtp_sink):
    import shutil
    import subprocess
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


def test_status_polls_while_sending_and_stops_once_final(app, as_user, world, smtp_sink):
    clock.set(T0)
    client = as_user(world.chef_a)
    activate(app, client, world.therapist_a)
    url = f"/therapeuten/{world.therapist_a}/zugangscode?scope=list"
    html = client.get(url).get_data(as_text=True)
    assert "wird gesendet" in html and 'hx-trigger="load delay:1s"' in html
    run_jobs(app)
    html = client.get(url).get_data(as_text=True)
    assert "gesendet, gültig bis 14:48" in html and 'hx-trigger="load delay:951s"' in html
    assert 'data-tooltip="Zuletzt gesendet am 26.11.2026 um 14:32 Uhr"' in html and 'hx-swap-oob="true"' in html
    clock.set(T0 + timedelta(minutes=16))
    html = client.get(url).get_data(as_text=True)
    assert "abgelaufen" in html and "hx-trigger" not in html.split("code-arrow")[0]


def test_the_arrow_says_when_no_code_was_sent(as_user, world):
    html = as_user(world.chef_a).get("/therapeuten").get_data(as_text=True)
    assert 'data-tooltip="Noch kein Zugangscode gesendet"' in html


def test_the_mail_log_lists_every_code_mail_with_the_servers_answer(app, as_user, world, smtp_sink):
    client = as_user(world.chef_a)
    activate(app, client, world.therapist_a)
    run_jobs(app)
    html = client.get(f"/mail-protokoll?therapist={world.therapist_a}").get_data(as_text=True)
    request = requests_of(app, world.therapist_a)[0]
    assert "anna.schmidt@praxis.example" in html and 'data-delivery="accepted"' in html
    assert "250" in html and request.message_id.strip("<>") in html
    status = client.get(f"/therapeuten/{world.therapist_a}/zugangscode").get_data(as_text=True)
    assert f'href="/mail-protokoll?therapist={world.therapist_a}"' in status


def test_another_groups_mail_log_stays_hidden(app, client, world, smtp_sink):
    from .conftest import login
    login(client, world.chef_b)
    assert client.get(f"/mail-protokoll?therapist={world.therapist_a}").status_code == 404
    assert "Noch keine E-Mail mit Zugangscode" in client.get("/mail-protokoll").get_data(as_text=True)


def test_the_development_mail_viewer_shows_text_and_html(migrated, database_url, redis_url, world, smtp_sink):
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port, DEV_TOOLS=True,
                   MAIL_SINK_DIR=str(smtp_sink.directory))
    client = app.test_client()
    client.post("/anmelden", data={"email": world.chef_a, "password": "richtig-langes-passwort"})
    activate(app, client, world.therapist_a)
    run_jobs(app)
    index = client.get("/dev/mails").get_data(as_text=True)
    name = re.search(r'href="/dev/mails/([^"]+\.eml)"', index).group(1)
    page = client.get(f"/dev/mails/{name}").get_data(as_text=True)
    assert "Ihr Zugangscode für die Therapeuten-App" in page and "Auto-Submitted" in page
    assert f'src="/dev/mails/{name}/html"' in page
    html = client.get(f"/dev/mails/{name}/html")
    assert "sandbox" in html.headers["Content-Security-Policy"] and "<html" in html.get_data(as_text=True)
    assert client.get("/dev/mails/../../etc/passwd").status_code == 404


def test_the_mail_viewer_does_not_exist_outside_development(as_user, world):
    assert as_user(world.chef_a).get("/dev/mails").status_code == 404


def test_the_mail_is_dkim_signed_when_a_key_is_configured(migrated, database_url, redis_url, world, smtp_sink,
                                                          tmp_path):
    import base64
    import subprocess

    import dkim

    key_path = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(key_path), "2048"], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(key_path), "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    public = base64.b64encode(der).decode()
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port,
                   DKIM_DOMAIN="praxisportal.example", DKIM_SELECTOR="portal", DKIM_PRIVATE_KEY_PATH=str(key_path))
    client = app.test_client()
    client.post("/anmelden", data={"email": world.chef_a, "password": "richtig-langes-passwort"})
    activate(app, client, world.therapist_a)
    run_jobs(app)
    raw = sorted(smtp_sink.directory.glob("*.eml"))[0].read_bytes()
    assert raw.startswith(b"DKIM-Signature:") and b"d=praxisportal.example" in raw

    def dns(name, timeout=5):
        assert name == b"portal._domainkey.praxisportal.example."
        return f"v=DKIM1; k=rsa; p={public}".encode()

    assert dkim.verify(raw, dnsfunc=dns)
