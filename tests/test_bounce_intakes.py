"""The other two bounce intakes: a provider mailbox read over IMAP (a real Dovecot) and the
Postmark and Amazon SES webhooks (SES with our own certificate, served over loopback HTTP)."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from imap_tools import MailBoxUnencrypted
from sqlalchemy import select

from portal.bounces import imap, webhooks
from portal.bounces.models import Bounce, BounceKind, Intake
from portal.codes.models import CodeRequest
from portal.devtools import bounce_samples
from portal.extensions import db
from portal.models import AuditEvent, Therapist
from portal.outbox.delivery import Delivery
from portal.outbox.return_path import envelope_sender, tag_for
from portal.timeutil import clock, utcnow

from .conftest import make_app
from .helpers import count_rows, run_jobs, save_dialog, signed_in
from .imap_server import Dovecot

BOUNCES = "bounces@praxisportal.example"


def _sent_code(app, world, smtp_sink) -> tuple[CodeRequest, bytes]:
    """Anna's app switched on and her code mail accepted: (the request, the raw mail)."""
    save_dialog(app, signed_in(app, world.chef_a), world.therapist_a, app_enabled="y")
    run_jobs(app)
    with app.app_context():
        request = db.session.scalars(select(CodeRequest)).one()
    return request, sorted(smtp_sink.directory.glob("*.eml"))[-1].read_bytes()


def _delivery(app, request_id: int) -> Delivery:
    with app.app_context():
        return db.session.get(CodeRequest, request_id).delivery


# --- IMAP ----------------------------------------------------------------------------------------


@pytest.fixture
def dovecot():
    server = Dovecot().start()
    yield server
    server.remove()


@pytest.fixture
def mailbox(migrated, database_url, redis_url, world, smtp_sink, dovecot):
    """A portal whose reports land in a Dovecot mailbox, Anna's code mail, and its report there."""
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port,
                   MAIL_BOUNCE_ADDRESS=BOUNCES, BOUNCE_IMAP_URL=dovecot.url())
    request, original = _sent_code(app, world, smtp_sink)
    with app.app_context():
        verp = envelope_sender(request.id)
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login("bounces", "geheim") as box:
        box.append(bounce_samples.postfix(original, verp, request.email), "INBOX")
        box.append(bounce_samples.out_of_office(request.message_id, verp, request.email), "INBOX")
    return app, request


def _flags(dovecot, folder: str = "INBOX") -> list[tuple]:
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login("bounces", "geheim", initial_folder=folder) as box:
        return [message.flags for message in box.fetch(mark_seen=False, headers_only=True)]


def test_the_mailbox_poll_takes_each_report_once_and_flags_it(mailbox, dovecot):
    app, request = mailbox
    with app.app_context():
        job = app.task_queue.enqueue(imap.poll)  # as rq cron does every minute
    run_jobs(app)
    assert job.return_value() == 2  # the bounce and the out-of-office reply
    assert _delivery(app, request.id) == Delivery.BOUNCED
    assert {kind for kind, in _rows(app)} == {BounceKind.HARD, BounceKind.IGNORED}
    assert all(imap.PROCESSED in flags for flags in _flags(dovecot))
    assert all("\\Seen" not in flags for flags in _flags(dovecot))  # a person reading the box still sees them new
    with app.app_context():
        assert imap.poll() == 0  # the next minute: nothing new
    assert count_rows(app, Bounce) == 2 and count_rows(app, AuditEvent, AuditEvent.action == "code.bounced") == 1


def _rows(app) -> list[tuple]:
    with app.app_context():
        return [(b.kind,) for b in db.session.scalars(select(Bounce).where(Bounce.intake == Intake.IMAP))]


def test_a_restart_between_fetch_and_flag_loses_nothing_and_counts_once(mailbox, dovecot, monkeypatch):
    app, request = mailbox
    taken = imap.take

    def take_then_die(*args, **kwargs):
        taken(*args, **kwargs)
        raise SystemExit("der Worker wird beendet, bevor er die Nachricht markiert")

    monkeypatch.setattr(imap, "take", take_then_die)
    with app.app_context(), pytest.raises(SystemExit):
        imap.poll()
    assert count_rows(app, Bounce) == 1 and not any(imap.PROCESSED in flags for flags in _flags(dovecot))
    dovecot.restart()
    monkeypatch.setattr(imap, "take", taken)
    with app.app_context():
        assert imap.poll() == 1  # the out-of-office reply is new; the bounce was taken already
    assert count_rows(app, Bounce) == 2 and count_rows(app, AuditEvent, AuditEvent.action == "code.bounced") == 1
    assert all(imap.PROCESSED in flags for flags in _flags(dovecot))
    assert _delivery(app, request.id) == Delivery.BOUNCED


def test_processed_reports_can_be_moved_to_a_folder(mailbox, dovecot):
    app, _request = mailbox
    app.config["BOUNCE_IMAP_PROCESSED_FOLDER"] = "Verarbeitet"
    with app.app_context():
        assert imap.poll() == 2
        assert imap.poll() == 0
    assert _flags(dovecot) == [] and len(_flags(dovecot, "Verarbeitet")) == 2


def test_a_wrong_mailbox_address_is_a_clear_error():
    for url in ("pop3://x@host/INBOX", "imap:///INBOX", "kein Link"):
        with pytest.raises(ValueError, match="imap:// oder imaps://"):
            imap.mailbox(url)
    box = imap.mailbox("imaps://bounce%40praxis.example:ge%2Fheim@mail.example/Berichte")
    assert (box.secure, box.port, box.user, box.password, box.folder) == (
        True, 993, "bounce@praxis.example", "ge/heim", "Berichte")


# --- Postmark ------------------------------------------------------------------------------------

POSTMARK = {"POSTMARK_WEBHOOK_USER": "postmark", "POSTMARK_WEBHOOK_PASSWORD": "s3cret-Hook"}


@pytest.fixture
def postmark(migrated, database_url, redis_url, world, smtp_sink):
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port, **POSTMARK)
    request, _original = _sent_code(app, world, smtp_sink)
    return app, request


def _basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _postmark_event(request: CodeRequest, event_id: int = 4242, kind: str = "HardBounce", tag: str | None = None):
    return {"RecordType": "Bounce", "ID": event_id, "Type": kind, "TypeCode": 1, "Email": request.email,
            "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist",
            "Description": "The server was unable to deliver your message", "MessageID": "x",
            "Metadata": {"portal_tag": tag} if tag else {}, "BouncedAt": "2026-11-27T10:00:00Z"}


def test_postmark_authenticated_records_the_bounce_once(postmark):
    app, request = postmark
    client = app.test_client()
    with app.app_context():
        event = _postmark_event(request, tag=tag_for(request.id))
    answer = client.post("/webhooks/mail/postmark", json=event, headers=_basic("postmark", "s3cret-Hook"))
    assert answer.status_code == 200 and answer.get_json() == {"result": "recorded"}
    with app.app_context():
        stored = db.session.get(CodeRequest, request.id)
        assert stored.delivery == Delivery.BOUNCED and stored.bounce_reason.startswith("550 5.1.1 The email")
        assert db.session.get(Therapist, stored.therapist_id).email_refused is not None
    replay = client.post("/webhooks/mail/postmark", json=event, headers=_basic("postmark", "s3cret-Hook"))
    assert replay.status_code == 200 and replay.get_json() == {"result": "already recorded"}
    assert count_rows(app, Bounce) == 1 and count_rows(app, AuditEvent, AuditEvent.action == "code.bounced") == 1


def test_postmark_without_tag_finds_the_latest_mail_to_the_address(postmark):
    app, request = postmark
    answer = app.test_client().post("/webhooks/mail/postmark", json=_postmark_event(request, kind="SoftBounce"),
                                    headers=_basic("postmark", "s3cret-Hook"))
    assert answer.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Bounce.kind)).one() == BounceKind.SOFT
        assert db.session.get(CodeRequest, request.id).delayed_at is not None


def test_postmark_unauthenticated_or_malformed_changes_nothing(postmark):
    app, request = postmark
    client, event = app.test_client(), _postmark_event(request)
    for headers in ({}, _basic("postmark", "falsch"), _basic("jemand", "s3cret-Hook"), {"Authorization": "Basic %%%"}):
        answer = client.post("/webhooks/mail/postmark", json=event, headers=headers)
        assert answer.status_code == 401 and "Basic" in answer.headers["WWW-Authenticate"]
    auth = _basic("postmark", "s3cret-Hook")
    for body in (b"{kaputt", b"[]", b'{"RecordType": "Bounce"}', b'{"ID": {"x": 1}, "RecordType": "Bounce"}',
                 "\xff".encode("latin-1")):
        answer = client.post("/webhooks/mail/postmark", data=body, headers={**auth, "Content-Type": "application/json"})
        assert answer.status_code == 400, body
    delivery = client.post("/webhooks/mail/postmark", json={"RecordType": "Delivery", "ID": 1}, headers=auth)
    assert delivery.status_code == 200
    assert count_rows(app, Bounce) == 0 and _delivery(app, request.id) == Delivery.ACCEPTED


def test_a_report_with_nul_bytes_is_recorded_without_them(postmark):
    """A provider's text goes into the database as text: a NUL in it (PostgreSQL keeps none) is dropped."""
    app, request = postmark
    event = {**_postmark_event(request), "Email": request.email + "\x00", "ID": "nul\x00-1",
             "Details": "smtp;550\x00 5.1.1 unbekannt"}
    answer = app.test_client().post("/webhooks/mail/postmark", json=event, headers=_basic("postmark", "s3cret-Hook"))
    assert answer.status_code == 200 and answer.get_json() == {"result": "recorded"}
    with app.app_context():
        bounce = db.session.scalars(select(Bounce)).one()
        assert (bounce.recipient, bounce.diagnostic, bounce.event_key) == (request.email, "550 5.1.1 unbekannt",
                                                                           "postmark:nul-1")
        assert db.session.get(CodeRequest, request.id).bounce_reason == "550 5.1.1 unbekannt"


def test_postmark_is_off_until_configured(app):
    assert app.test_client().post("/webhooks/mail/postmark", json={}).status_code == 404


# --- Amazon SES through SNS ----------------------------------------------------------------------


REGION = "eu-central-1"
TOPIC = f"arn:aws:sns:{REGION}:123456789012:portal-bounces"
CERT_NAME = "SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"


class Sns:
    """Our own SNS of one region: a key and certificate, served with the subscription address on
    loopback (``base`` stands for ``https://sns.<region>.amazonaws.com``); it counts the fetches."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.test.amazonaws.com")])
        now = datetime.now(UTC)
        self.certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
                            .sign(self.key, hashes.SHA256()))
        self.confirmed: list[str] = []
        self.fetched: list[str] = []
        pem = self.certificate.public_bytes(serialization.Encoding.PEM)
        sns = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server interface
                status, body = 200, pem
                if "Action=ConfirmSubscription" in self.path:
                    sns.confirmed.append(self.path)
                    body = b"<ConfirmSubscriptionResponse/>"
                else:
                    sns.fetched.append(self.path)
                    if "dead" in self.path:
                        status, body = 404, b"gone"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}/{REGION}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sign(self, message: dict, version: str = "2", cert_url: str | None = None) -> dict:
        message = {**message, "SignatureVersion": version, "SigningCertURL": cert_url or f"{self.base}/{CERT_NAME}"}
        text = "".join(f"{name}\n{message[name]}\n" for name in webhooks.SNS_FIELDS[message["Type"]] if name in message)
        algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303 - SNS's version 1
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), algorithm)
        return {**message, "Signature": base64.b64encode(signature).decode()}

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def ses(migrated, database_url, redis_url, world, smtp_sink):
    sns = Sns()
    webhooks.certificates.clear()  # a port of an earlier test may come again, with another key
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port,
                   MAIL_BOUNCE_ADDRESS=BOUNCES, SES_TOPIC_ARN=TOPIC, SES_SNS_ENDPOINT=sns.base)
    request, _original = _sent_code(app, world, smtp_sink)
    yield app, request, sns
    sns.stop()


def _notification(app, request: CodeRequest, message_id: str = "5f1d-0001", bounce_type: str = "Permanent") -> dict:
    with app.app_context():
        source = envelope_sender(request.id)
    ses_message = {
        "notificationType": "Bounce",
        "bounce": {"bounceType": bounce_type, "bounceSubType": "General", "timestamp": "2026-11-27T10:00:00.000Z",
                   "bouncedRecipients": [{"emailAddress": request.email, "action": "failed", "status": "5.1.1",
                                          "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
        "mail": {"source": source, "messageId": "0102-ses", "destination": [request.email],
                 "commonHeaders": {"messageId": request.message_id}},
    }
    return {"Type": "Notification", "MessageId": message_id, "TopicArn": TOPIC, "Subject": "Amazon SES Email Event",
            "Message": json.dumps(ses_message), "Timestamp": "2026-11-27T10:00:01.000Z"}


def _post_ses(app, body) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = app.test_client().post("/webhooks/mail/ses", data=data, headers={"Content-Type": "text/plain"})
    return answer.status_code, answer.get_json(silent=True)


def test_ses_signed_notification_records_the_bounce_once(ses):
    app, request, sns = ses
    notification = sns.sign(_notification(app, request))
    assert _post_ses(app, notification) == (200, {"result": "recorded"})
    with app.app_context():
        stored = db.session.get(CodeRequest, request.id)
        assert stored.delivery == Delivery.BOUNCED and stored.bounce_reason == "550 5.1.1 user unknown"
        assert db.session.scalars(select(Bounce.intake)).one() == Intake.SES
    assert _post_ses(app, notification) == (200, {"result": "already recorded"})  # SNS retries
    assert count_rows(app, Bounce) == 1 and count_rows(app, AuditEvent, AuditEvent.action == "code.bounced") == 1


def test_ses_version_1_signatures_and_transient_bounces(ses):
    app, request, sns = ses
    assert _post_ses(app, sns.sign(_notification(app, request, bounce_type="Transient"), version="1"))[0] == 200
    with app.app_context():
        assert db.session.scalars(select(Bounce.kind)).one() == BounceKind.SOFT
        assert db.session.get(CodeRequest, request.id).delivery == Delivery.ACCEPTED


def test_ses_unsigned_forged_or_foreign_messages_are_refused(ses):
    app, request, sns = ses
    good = sns.sign(_notification(app, request))
    tampered = {**good, "Message": good["Message"].replace("Permanent", "Transient")}
    foreign_host = {**good, "SigningCertURL": "https://evil.example/cert.pem"}
    lookalike = {**good, "SigningCertURL": f"{sns.base}.evil.example/{CERT_NAME}"}
    other_topic = sns.sign({**_notification(app, request), "TopicArn": TOPIC + "-fremd"})
    bad_base64 = {**good, "Signature": "kein base64!"}
    no_version = {k: v for k, v in good.items() if k != "SignatureVersion"}
    for body in (tampered, foreign_host, lookalike, other_topic, bad_base64, no_version):
        assert _post_ses(app, body)[0] == 403, body
    assert count_rows(app, Bounce) == 0 and _delivery(app, request.id) == Delivery.ACCEPTED


def test_ses_malformed_bodies_answer_400_never_500(ses):
    app, request, sns = ses
    unsigned = json.dumps({"Type": "Notification"}).encode()
    for body in (b"", b"{kaputt", b"[1, 2]", b'{"Type": 3}', b"\xff\xfe", unsigned):
        assert _post_ses(app, body)[0] == 400, body
    not_json = sns.sign({**_notification(app, request), "Message": "kein JSON"})
    assert _post_ses(app, not_json)[0] == 400
    odd = sns.sign({**_notification(app, request), "Message": json.dumps({"notificationType": "Bounce", "bounce": 7})})
    assert _post_ses(app, odd)[0] == 200  # signed, but no bounce in it: recorded as ignored
    with app.app_context():
        assert db.session.scalars(select(Bounce.kind)).one() == BounceKind.IGNORED


def test_ses_subscription_is_confirmed(ses):
    app, _request, sns = ses
    subscription = sns.sign({"Type": "SubscriptionConfirmation", "MessageId": "sub-1", "TopicArn": TOPIC,
                             "Token": "abc", "Message": "You have chosen to subscribe",
                             "SubscribeURL": f"{sns.base}/?Action=ConfirmSubscription&Token=abc",
                             "Timestamp": "2026-11-27T10:00:00Z"})
    assert _post_ses(app, subscription) == (200, {"result": "subscription confirmed"})
    assert sns.confirmed == [f"/{REGION}/?Action=ConfirmSubscription&Token=abc"]
    elsewhere = sns.sign({**subscription, "SubscribeURL": "https://evil.example/confirm"})
    assert _post_ses(app, elsewhere)[0] == 403 and len(sns.confirmed) == 1


def test_ses_takes_certificates_only_from_the_configured_topics_region(ses):
    """A message names the address of the certificate that signs it: only SNS of the configured
    topic's region, with SNS's own file name, is asked; no other host, region or path is fetched."""
    app, request, sns = ses
    host = sns.base.rsplit("/", 1)[0]
    elsewhere = [f"{host}/us-east-1/{CERT_NAME}", f"{sns.base}/{CERT_NAME}?x=1", f"{sns.base}/../{CERT_NAME}",
                 f"{sns.base}/cert.pem", f"{sns.base}/sub/{CERT_NAME}", f"{sns.base}@evil.example/{CERT_NAME}"]
    for url in elsewhere:
        assert _post_ses(app, sns.sign(_notification(app, request), cert_url=url))[0] == 403, url
    assert sns.fetched == [] and count_rows(app, Bounce) == 0


@pytest.mark.parametrize("url, allowed", [
    (f"https://sns.{REGION}.amazonaws.com/{CERT_NAME}", True),
    (f"https://sns.us-east-1.amazonaws.com/{CERT_NAME}", False),  # another region
    (f"https://sns.s3.amazonaws.com/{CERT_NAME}", False),  # an S3 bucket called "sns": anyone's file
    (f"http://sns.{REGION}.amazonaws.com/{CERT_NAME}", False),
    (f"https://sns.{REGION}.amazonaws.com.evil.example/{CERT_NAME}", False),
    (f"https://sns.{REGION}.amazonaws.com/bucket/{CERT_NAME}", False),
])
def test_the_default_sns_address_is_the_topics_region_on_amazonaws(app, url, allowed):
    app.config["SES_TOPIC_ARN"] = TOPIC
    with app.app_context():
        assert webhooks.certificate_url_allowed(url) is allowed


def test_ses_certificates_and_failures_are_kept_for_a_while(ses):
    app, request, sns = ses
    for number in range(3):
        assert _post_ses(app, sns.sign(_notification(app, request, message_id=f"m-{number}")))[0] == 200
    assert sns.fetched == [f"/{REGION}/{CERT_NAME}"]  # one fetch for three messages
    dead = f"{sns.base}/SimpleNotificationService-dead.pem"
    for number in range(3):
        assert _post_ses(app, sns.sign(_notification(app, request, message_id=f"d-{number}"), cert_url=dead))[0] == 403
    assert sns.fetched.count(f"/{REGION}/SimpleNotificationService-dead.pem") == 1  # a failure is kept too
    clock.set(utcnow() + webhooks.FAILURE_KEPT + timedelta(seconds=1))
    assert _post_ses(app, sns.sign(_notification(app, request, message_id="d-9"), cert_url=dead))[0] == 403
    assert sns.fetched.count(f"/{REGION}/SimpleNotificationService-dead.pem") == 2  # asked again later


def test_ses_is_off_until_its_topic_is_configured(app):
    body = json.dumps({"Type": "Notification", "MessageId": "x", "Signature": "x", "TopicArn": TOPIC,
                       "SigningCertURL": f"https://sns.{REGION}.amazonaws.com/{CERT_NAME}", "SignatureVersion": "2"})
    assert _post_ses(app, body.encode())[0] == 404


def test_the_mail_webhooks_are_rate_limited_per_client(ses):
    app, request, sns = ses
    app.config["WEBHOOK_LIMIT"] = "3 per minute"
    for number in range(3):
        assert _post_ses(app, sns.sign(_notification(app, request, message_id=f"r-{number}")))[0] == 200
    status, body = _post_ses(app, sns.sign(_notification(app, request, message_id="r-3")))
    assert status == 429 and body == {"result": "too many requests"}
    answer = app.test_client().post("/webhooks/mail/postmark", json={})
    assert answer.status_code == 429 and answer.headers["Retry-After"]  # one budget for the webhooks
    assert count_rows(app, Bounce) == 3
