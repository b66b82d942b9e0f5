"""Asking for access codes: activation and the arrow, the 30-second rule, the live status, the
mail log and the development mail viewer. Real Redis, aiosmtpd and an RQ SimpleWorker."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.codes.models import CodeRequest
from portal.codes.status import StatusKey
from portal.extensions import db
from portal.outbox.delivery import Delivery
from portal.timeutil import clock

from .conftest import make_app
from .helpers import EMAIL, HX, activate, code_in, login, run_jobs, signed_in, status_key

T0 = datetime(2026, 11, 26, 13, 32, 10, tzinfo=UTC)  # 14:32 in Berlin


def requests_of(app, therapist_id):
    with app.app_context():
        return db.session.scalars(
            select(CodeRequest).where(CodeRequest.therapist_id == therapist_id).order_by(CodeRequest.id)).all()


def test_activation_sends_exactly_one_mail_with_a_six_digit_code(app, as_user, world, smtp_sink):
    client = as_user(world.chef_a)
    response = activate(app, client, world.therapist_a)
    assert "Ein neuer Zugangscode wird an anna.schmidt@praxis.example gesendet." in response.get_data(as_text=True)
    assert status_key(app, world.therapist_a) == StatusKey.SENDING
    run_jobs(app)
    mails = smtp_sink.messages()
    assert len(mails) == 1 and mails[0]["To"] == EMAIL
    assert re.fullmatch(r"\d{6}", code_in(mails[0]))
    assert status_key(app, world.therapist_a) == StatusKey.VALID
    request = requests_of(app, world.therapist_a)[0]
    assert request.delivery == Delivery.ACCEPTED and request.message_id == mails[0]["Message-ID"]


def test_a_job_carries_only_the_request_id(app, as_user, world):
    activate(app, as_user(world.chef_a), world.therapist_a)
    jobs = {job.func_name: job for job in app.task_queue.jobs}
    assert set(jobs) == {"portal.codes.jobs.send_code", "portal.therapist_db.jobs.generate_database"}
    assert jobs["portal.therapist_db.jobs.generate_database"].args == (world.therapist_a,)
    job = jobs["portal.codes.jobs.send_code"]
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
    assert len(smtp_sink.messages()) == 2
    old, new = requests_of(app, world.therapist_a)
    assert old.superseded_at is not None and new.superseded_at is None
    assert status_key(app, world.therapist_a) == StatusKey.VALID


def test_a_request_superseded_before_it_was_sent_is_cancelled(app, as_user, world, smtp_sink):
    clock.set(T0)
    client = as_user(world.chef_a)
    activate(app, client, world.therapist_a)
    clock.advance(timedelta(seconds=31))
    client.post(f"/therapeuten/{world.therapist_a}/zugangscode", headers=HX)
    run_jobs(app)
    old, new = requests_of(app, world.therapist_a)
    assert old.delivery == Delivery.CANCELLED and new.delivery == Delivery.ACCEPTED
    assert len(smtp_sink.messages()) == 1


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


def test_the_arrow_without_htmx_redirects_with_the_message(app, as_user, world):
    client = as_user(world.chef_a)
    response = client.post(f"/therapeuten/{world.therapist_a}/zugangscode")
    assert response.status_code == 302
    assert "Aktivieren Sie zuerst die App" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_status_polls_while_sending_and_stops_once_final(app, as_user, world, smtp_sink):
    clock.set(T0)
    client = as_user(world.chef_a)
    activate(app, client, world.therapist_a)
    url = f"/therapeuten/{world.therapist_a}/zugangscode?scope=list"
    html = client.get(url).get_data(as_text=True)
    assert "wird gesendet" in html and 'hx-trigger="load delay:1s"' in html
    run_jobs(app)
    html = client.get(url).get_data(as_text=True)
    assert "gesendet, gültig bis 14:48" in html and 'hx-trigger="load delay:30s"' in html
    assert 'data-tooltip="Zuletzt gesendet am 26.11.2026 um 14:32 Uhr"' in html and 'hx-swap-oob="true"' in html
    clock.set(T0 + timedelta(minutes=16))
    html = client.get(url).get_data(as_text=True)
    assert "abgelaufen" in html and "hx-trigger" not in html.split("code-arrow")[0]


def test_each_status_has_its_words_tone_and_help(app):
    with app.test_request_context():
        for key in StatusKey:
            assert key.label and key.tone in ("ok", "info", "warn", "off")
            if key not in (StatusKey.NONE, StatusKey.VALID):
                assert key.help_section is not None, key


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
    login(client, world.chef_b)
    assert client.get(f"/mail-protokoll?therapist={world.therapist_a}").status_code == 404
    assert "Noch keine E-Mail mit Zugangscode" in client.get("/mail-protokoll").get_data(as_text=True)


def test_the_development_mail_viewer_shows_text_and_html(migrated, database_url, redis_url, world, smtp_sink):
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port, DEV_TOOLS=True,
                   MAIL_SINK_DIR=str(smtp_sink.directory))
    client = signed_in(app, world.chef_a)
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
