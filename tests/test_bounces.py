"""Bounces from the real mail path: the portal sends through a relay (aiosmtpd) that accepts and
then returns a delivery report to the VERP envelope sender, which the SMTP intake takes; the
list, the dialog, the mail log and the API react. Plus every layout, forged tags, auto-replies,
duplicates, soft bounces and the intake's limits."""

from __future__ import annotations

import re
import smtplib
import time
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from portal.bounces.models import Bounce, BounceKind, Intake
from portal.bounces.parser import AUTO_REPLY, NOT_A_REPORT, read
from portal.bounces.receiver import BounceReceiver
from portal.bounces.services import FORGED, OTHER_RECIPIENT, UNTAGGED, take
from portal.codes.models import CodeRequest
from portal.devtools import bounce_samples
from portal.devtools.embedded_redis import free_port
from portal.devtools.smtp_sink import SmtpSink
from portal.extensions import db
from portal.models import AuditEvent, Therapist
from portal.outbox.delivery import Delivery
from portal.outbox.return_path import envelope_sender

from . import factories as f
from .conftest import make_app
from .helpers import HX, code_in, run_jobs, save_dialog, signed_in

BOUNCES = "bounces@praxisportal.example"
UNKNOWN = "anna@unzustellbar.example"


@pytest.fixture
def loop(migrated, database_url, redis_url, world, tmp_path):
    """The portal with VERP, a relay that bounces @unzustellbar.example, and the SMTP intake."""
    receiver_port = free_port()
    relay = SmtpSink(tmp_path / "relay", bounce_to=("127.0.0.1", receiver_port), bounce_after=0.05).start()
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=relay.port, MAIL_BOUNCE_ADDRESS=BOUNCES)
    receiver = BounceReceiver(app, port=receiver_port).start()
    yield app, relay
    receiver.stop()
    relay.stop()


def _wait_for(app, condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.scalar(condition):
                return
        time.sleep(0.05)
    raise AssertionError("the delivery report did not arrive")


def _one_request(app) -> CodeRequest:
    with app.app_context():
        return db.session.scalars(select(CodeRequest)).one()


def _mark(html: str, therapist_id: int) -> list[str]:
    """The open items the list's readiness mark names for one therapist."""
    row = re.search(rf'<tr id="therapist-{therapist_id}">(.*?)</tr>', html, re.S).group(1)
    items = re.search(r'<details id="open-items-\d+" class="open-items">.*?<ul>(.*?)</ul>', row, re.S)
    return sorted(re.findall(r"<li>([^<]*)</li>", items.group(1))) if items else []


def test_a_relayed_mail_that_bounces_comes_back_and_everything_reacts(loop, world):
    app, relay = loop
    chef = signed_in(app, world.chef_a)
    with app.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        f.appointment(t, t.practices[0])
        db.session.commit()
    relay.handler.release.clear()  # the report waits until the state before it is checked
    save_dialog(app, chef, world.therapist_a, email=UNKNOWN, app_enabled="y")
    run_jobs(app)
    [mail] = relay.messages()
    assert _one_request(app).delivery == Delivery.ACCEPTED  # the relay said 250, as relays do
    cell = chef.get(f"/therapeuten/{world.therapist_a}/zugangscode").get_data(as_text=True)
    assert "gesendet, gültig bis" in cell and 'hx-trigger="load delay:30s"' in cell  # it keeps looking
    assert _mark(chef.get("/therapeuten").get_data(as_text=True), world.therapist_a) == []  # ready
    relay.handler.release.set()
    _wait_for(app, select(func.count(CodeRequest.id)).where(CodeRequest.delivery == Delivery.BOUNCED))
    request = _one_request(app)
    assert "550 5.1.1" in request.bounce_reason
    row = chef.get("/therapeuten", headers={**HX, "HX-Target": "therapist-table"}).get_data(as_text=True)
    assert "Zustellung gescheitert: 550 5.1.1" in row
    assert _mark(row, world.therapist_a) == ["E-Mail-Adresse nicht empfangsbereit",  # and the code is void:
                                             "Kein gültiger Zugangscode für diese Adresse"]
    dialog = chef.get(f"/therapeuten/{world.therapist_a}", headers=HX).get_data(as_text=True)
    assert 'data-check="deliverable" data-ok="nein"' in dialog
    assert "Die E-Mail-Adresse ist nicht empfangsbereit: 550 5.1.1" in dialog and "E-Mail-Adresse korrigieren" in dialog
    cell = chef.get(f"/therapeuten/{world.therapist_a}/zugangscode").get_data(as_text=True)
    assert "Zustellung gescheitert: 550 5.1.1" in cell and "hx-trigger" not in cell.split("code-arrow")[0]
    log = chef.get(f"/mail-protokoll?therapist={world.therapist_a}").get_data(as_text=True)
    assert 'data-bounce="hard"' in log and "SMTP-Empfang" in log and "5.1.1" in log
    support = signed_in(app, world.support).get(f"/support/therapeuten/{world.therapist_a}").get_data(as_text=True)
    assert 'data-bounce="hard"' in support and "550 5.1.1" in support
    assert 'data-check="deliverable" data-ok="nein"' in support
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "code.bounced")) == 1
    answer = app.test_client().post("/api/app/v1/session", json={"email": UNKNOWN, "code": code_in(mail),
                                                                 "device_name": "iPhone", "platform": "ios"})
    assert answer.status_code == 401 and answer.get_json()["error"] == "invalid_code"  # the code is void
    # the arrow asks first; "Trotzdem senden" sends; editing the address lifts the mark
    asked = chef.post(f"/therapeuten/{world.therapist_a}/zugangscode?scope=list", headers=HX).get_data(as_text=True)
    assert "Trotzdem senden" in asked and "nicht empfangsbereit" in asked
    with app.app_context():
        assert db.session.scalar(select(func.count(CodeRequest.id))) == 1
    save_dialog(app, chef, world.therapist_a, email="anna.schmidt@praxis.example")
    with app.app_context():
        assert db.session.get(Therapist, world.therapist_a).email_refused is None


def test_trotzdem_senden_sends_to_a_bounced_address(loop, world):
    app, relay = loop
    chef = signed_in(app, world.chef_a)
    save_dialog(app, chef, world.therapist_a, email=UNKNOWN, app_enabled="y")
    run_jobs(app)
    _wait_for(app, select(func.count(CodeRequest.id)).where(CodeRequest.delivery == Delivery.BOUNCED))
    sent = chef.post(f"/therapeuten/{world.therapist_a}/zugangscode?scope=list", headers=HX,
                     data={"trotzdem": "ja"}).get_data(as_text=True)
    assert "Ein neuer Zugangscode wird an" in sent
    run_jobs(app)
    assert len(relay.messages()) == 2


def _send(port: int, recipient: str, data: bytes) -> tuple[int, bytes]:
    data = re.sub(rb"\r?\n", b"\r\n", data)  # on the wire
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("")
        code, answer = smtp.rcpt(recipient)
        if code != 250:
            return code, answer
        return smtp.data(data)


@pytest.fixture
def intake(migrated, database_url, redis_url, world, smtp_sink):
    """The SMTP intake of a portal with VERP, and Anna's accepted code mail (request, raw mail)."""
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port,
                   MAIL_BOUNCE_ADDRESS=BOUNCES, BOUNCE_MAX_BYTES=200_000)
    save_dialog(app, signed_in(app, world.chef_a), world.therapist_a, app_enabled="y")
    run_jobs(app)
    receiver = BounceReceiver(app, port=free_port()).start()
    request = _one_request(app)
    with app.app_context():
        verp = envelope_sender(request.id)
    yield app, receiver.port, request, verp, sorted(smtp_sink.directory.glob("*.eml"))[0].read_bytes()
    receiver.stop()


def test_a_forged_tag_is_ignored(intake):
    app, port, request, verp, original = intake
    forged = verp.replace(verp.split("-")[-1].split("@")[0], "0" * 16)
    code, answer = _send(port, forged, bounce_samples.postfix(original, forged, request.email))
    assert code == 250 and b"nicht verwendet" in answer, answer
    with app.app_context():
        assert db.session.scalars(select(Bounce.reason)).one() == FORGED
        assert db.session.get(CodeRequest, request.id).delivery == Delivery.ACCEPTED


@pytest.mark.parametrize("layout", sorted(bounce_samples.LAYOUTS))
def test_with_verp_a_report_to_the_untagged_address_voids_no_code(intake, layout):
    """Anyone can write to the bounce address and quote a code mail's Message-ID (it is in every
    mail the therapist forwards): with VERP on only a valid tag names the code mail."""
    app, port, request, _verp, original = intake
    code, answer = _send(port, BOUNCES, bounce_samples.LAYOUTS[layout](original, BOUNCES, request.email))
    assert code == 250 and b"nicht verwendet" in answer, answer
    with app.app_context():
        bounce = db.session.scalars(select(Bounce)).one()
        assert (bounce.kind, bounce.reason, bounce.code_request_id) == (BounceKind.IGNORED, UNTAGGED, None)
        assert db.session.get(CodeRequest, request.id).delivery == Delivery.ACCEPTED
        assert db.session.get(Therapist, request.therapist_id).email_refused is None


def test_out_of_office_and_other_mail_are_recorded_as_ignored(intake):
    app, port, request, verp, _original = intake
    _send(port, verp, bounce_samples.out_of_office(request.message_id, verp, request.email))
    _send(port, verp, bounce_samples.reply(verp, request.email))
    with app.app_context():
        assert sorted(db.session.scalars(select(Bounce.reason))) == sorted([AUTO_REPLY, NOT_A_REPORT])
        assert {b.kind for b in db.session.scalars(select(Bounce))} == {BounceKind.IGNORED}
        assert db.session.get(CodeRequest, request.id).delivery == Delivery.ACCEPTED


def test_the_same_report_twice_counts_once(intake):
    app, port, request, verp, original = intake
    report = bounce_samples.postfix(original, verp, request.email, message_id=make_msgid(domain="relay.example"))
    assert _send(port, verp, report)[0] == 250
    code, answer = _send(port, verp, report)
    assert code == 250 and b"bereits verarbeitet" in answer
    with app.app_context():
        assert db.session.scalar(select(func.count(Bounce.id))) == 1
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "code.bounced")) == 1


def test_a_soft_bounce_says_delayed_and_the_code_stays_valid(intake):
    app, port, request, verp, original = intake
    _send(port, verp, bounce_samples.postfix(original, verp, request.email, status="4.2.2", action="delayed"))
    with app.app_context():
        stored = db.session.get(CodeRequest, request.id)
        assert stored.delivery == Delivery.ACCEPTED and stored.delayed_at is not None
        assert db.session.get(Therapist, stored.therapist_id).email_refused is None
    html = signed_in(app, "chef@nord.example").get(f"/therapeuten/{request.therapist_id}/zugangscode")
    assert "Zustellung verzögert, gültig bis" in html.get_data(as_text=True)


def test_the_intake_refuses_other_addresses_and_oversized_or_odd_mail(intake):
    app, port, _request, verp, _original = intake
    code, answer = _send(port, "chef@praxisportal.example", b"Subject: x\n\nx")
    assert code == 550 and b"nur Zustellberichte" in answer
    assert _send(port, verp, b"Subject: gross\n\n" + (b"x" * 80 + b"\n") * 4000)[0] == 552
    for garbage in (b"\x00\xff\xfe kein Mail", b"Content-Type: multipart/report; boundary=\"x\"\n\n--x\nkaputt",
                    b"Content-Type: message/delivery-status\n\n\xff\xfe"):
        assert _send(port, verp, garbage)[0] == 250
    with app.app_context():
        assert {b.kind for b in db.session.scalars(select(Bounce))} == {BounceKind.IGNORED}


@pytest.mark.parametrize("layout", sorted(bounce_samples.LAYOUTS))
def test_every_layout_is_read_as_a_hard_bounce_of_our_mail(layout):
    original = (b"Message-ID: <abc@praxisportal.example>\nFrom: zugang@praxisportal.example\n"
                b"To: anna@unzustellbar.example\nSubject: Ihr Zugangscode\n\nCode")
    report = read(bounce_samples.LAYOUTS[layout](original, BOUNCES, "anna@unzustellbar.example"))
    assert report.kind == BounceKind.HARD, report
    assert report.recipient == "anna@unzustellbar.example"
    assert report.original_message_id == "<abc@praxisportal.example>"
    if layout != "qmail":
        assert report.status.startswith("5.") and report.diagnostic


@pytest.mark.parametrize("layout", sorted(bounce_samples.LAYOUTS))
def test_without_verp_a_report_about_another_recipient_voids_no_code(app, as_user, world, smtp_sink, layout):
    """Without VERP the quoted Message-ID finds the mail only when the report's Final-Recipient is
    the address that mail went to: a report about someone else changes nothing."""
    save_dialog(app, as_user(world.chef_a), world.therapist_a, app_enabled="y")
    run_jobs(app)
    original = sorted(smtp_sink.directory.glob("*.eml"))[0].read_bytes()
    report = read(bounce_samples.LAYOUTS[layout](original, "zugang@praxisportal.example", "jemand@anders.example"))
    assert report.recipient == "jemand@anders.example"
    with app.app_context():
        bounce = take(report, Intake.SMTP)
        assert (bounce.kind, bounce.reason, bounce.code_request_id) == (BounceKind.IGNORED, OTHER_RECIPIENT, None)
        assert db.session.scalars(select(CodeRequest.delivery)).one() == Delivery.ACCEPTED
        assert db.session.get(Therapist, world.therapist_a).email_refused is None


def test_without_verp_the_quoted_message_id_finds_the_mail(app, as_user, world, smtp_sink):
    save_dialog(app, as_user(world.chef_a), world.therapist_a, app_enabled="y")
    run_jobs(app)
    original = sorted(smtp_sink.directory.glob("*.eml"))[0].read_bytes()
    with app.app_context():
        request = db.session.scalars(select(CodeRequest)).one()
        bounce = take(read(bounce_samples.gmail(original, "zugang@praxisportal.example", request.email)), Intake.SMTP)
        assert bounce.code_request_id == request.id and bounce.kind == BounceKind.HARD
        assert db.session.get(CodeRequest, request.id).delivery == Delivery.BOUNCED
