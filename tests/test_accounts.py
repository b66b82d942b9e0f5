"""Portal accounts through the real mail path: invitations, joining, "Passwort vergessen?", changing
the password, server-side sessions, the second factor (authenticator app, recovery codes, the
group's requirement, support's reset), throttling per account and per client, and the mails."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from portal.accounts.mails import sweep as sweep_account_mails
from portal.accounts.models import AccountMail, Invitation, MailKind
from portal.extensions import db
from portal.models import PracticeGroup, Role, User, UserSession
from portal.timeutil import clock, utcnow

from . import factories as f
from .conftest import make_app
from .helpers import HX, audit_actions, login, run_jobs, signed_in, totp_code

NEW_PASSWORD = "Sonnenhof-Praxis-2026"
LINK = re.compile(r"(http://localhost(/einladung/|/passwort/neu/)[A-Za-z0-9_-]{30,})")


def _mails(smtp_sink) -> list:
    return smtp_sink.messages()


def _link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return LINK.search(text).group(1).removeprefix("http://localhost")


def _open(client, link) -> str:
    """Open a link from a mail as a browser does: the token goes, the page's clean address stays."""
    opened = client.get(link)
    assert opened.status_code == 303, opened.get_data(as_text=True)[:300]
    return opened.headers["Location"]


def _use_link(client, link, data):
    """Open a link from a mail and send its form."""
    return client.post(_open(client, link), data=data)


def _invite(app, client, email="neu@nord.example", role="therapeut"):
    answer = client.post("/benutzer/einladen", headers=HX, data={"email": email, "role": role})
    run_jobs(app)
    return answer


def _user(app, email) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def _actions(app) -> list[str]:
    return [a for a in audit_actions(app) if a.startswith(("user.", "second_factor.", "group."))]


# --- invitations ------------------------------------------------------------------------------

def test_an_invitation_is_accepted_from_its_mail_once(app, as_user, world, smtp_sink):
    chef = as_user(world.chef_a)
    page = chef.get("/benutzer").get_data(as_text=True)
    assert 'name="password"' not in page  # nobody sets another person's password
    answer = _invite(app, chef, "Neu@Nord.example")
    assert "Einladung an neu@nord.example ist unterwegs" in answer.get_data(as_text=True)
    [mail] = _mails(smtp_sink)
    assert mail["To"] == "neu@nord.example" and mail["Subject"] == "Einladung in das Therapeuten-App-Portal"
    assert "Praxisgruppe „Praxisgruppe Nord“" in mail.get_body(("plain",)).get_content()
    link = _link(mail)
    listed = chef.get("/benutzer").get_data(as_text=True)
    assert "neu@nord.example" in listed and 'data-delivery="accepted"' in listed  # pending, mail accepted
    visitor = app.test_client()
    page = _open(visitor, link)
    join = visitor.get(page).get_data(as_text=True)
    assert "Praxisgruppe „Praxisgruppe Nord“" in join and "neu@nord.example" in join
    weak = visitor.post(page, data={"password": "passwortpasswort", "repeat": "passwortpasswort"})
    assert weak.status_code == 422 and "zu verbreitet" in weak.get_data(as_text=True)
    short = visitor.post(page, data={"password": "kurz", "repeat": "kurz"})
    assert "mindestens 12 Zeichen" in short.get_data(as_text=True)
    differ = visitor.post(page, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"})
    assert "stimmen nicht überein" in differ.get_data(as_text=True)
    assert _user(app, "neu@nord.example") is None  # nothing yet
    nameless = visitor.post(page, data={"name": "  ", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert nameless.status_code == 422 and "Bitte geben Sie Ihren Namen ein" in nameless.get_data(as_text=True)
    joined = visitor.post(page, data={"name": " Nina  Neumann ", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert joined.status_code == 302 and visitor.get("/therapeuten").status_code == 200  # signed in
    user = _user(app, "neu@nord.example")
    assert (user.name, user.role, user.group_id, user.active) == ("Nina Neumann", Role.THERAPEUT, world.group_a, True)
    again = app.test_client().get(link)
    assert again.status_code == 404 and "gilt nicht" in again.get_data(as_text=True)
    assert "neu@nord.example" not in chef.get("/benutzer").get_data(as_text=True).split("Offene Einladungen")[1]
    assert _actions(app) == ["user.invited", "user.joined"]


def test_an_expired_a_tampered_or_a_foreign_link_changes_nothing(app, as_user, world, smtp_sink):
    chef = as_user(world.chef_a)
    _invite(app, chef)
    link = _link(_mails(smtp_sink)[0])
    visitor = app.test_client()
    data = {"name": "Nina Neumann", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    for wrong in (tampered, link.replace("/einladung/", "/passwort/neu/"), "/einladung/" + "x" * 500):
        assert visitor.get(wrong).status_code == 404, wrong
    page = _open(visitor, link)
    clock.set(utcnow() + timedelta(hours=73))
    assert visitor.get(link).status_code == 404 and visitor.post(page, data=data).status_code == 404
    clock.set(None)
    assert _user(app, "neu@nord.example") is None
    assert visitor.post(page, data=data).status_code == 302  # within its 72 hours it still works


def test_resending_replaces_the_link_and_withdrawing_voids_it(app, as_user, world, smtp_sink):
    chef = as_user(world.chef_a)
    _invite(app, chef)
    first = _link(_mails(smtp_sink)[0])
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id))
    assert "neu gesendet" in chef.post(f"/benutzer/einladungen/{invitation_id}/erneut", headers=HX).get_data(
        as_text=True)
    run_jobs(app)
    second = _link(_mails(smtp_sink)[1])
    assert first != second and app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 303
    chef.post(f"/benutzer/einladungen/{invitation_id}/zurueckziehen", headers=HX)
    assert app.test_client().get(second).status_code == 404
    assert _actions(app) == ["user.invited", "user.invitation_resent", "user.invitation_withdrawn"]


@pytest.mark.parametrize("kind", ["invitation", "reset"])
def test_a_links_token_is_exchanged_for_the_session_and_a_clean_address(app, as_user, world, smtp_sink, kind):
    if kind == "invitation":
        _invite(app, as_user(world.chef_a))
        clean = "/einladung"
    else:
        app.test_client().post("/passwort-vergessen", data={"email": world.therapeut_a})
        run_jobs(app)
        clean = "/passwort/neu"
    link = _link(_mails(smtp_sink)[-1])
    token = link.rsplit("/", 1)[1]
    visitor = app.test_client()
    opened = visitor.get(link)
    assert opened.status_code == 303 and opened.headers["Location"] == clean  # the token leaves the address
    page = visitor.get(clean)
    assert page.status_code == 200 and token not in page.get_data(as_text=True)
    stranger = app.test_client().get(clean)  # without the link's session: nothing to use
    assert stranger.status_code == 404 and "Öffnen Sie den Link aus Ihrer E-Mail" in stranger.get_data(as_text=True)
    done = visitor.post(clean, data={"name": "Nina Neumann", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code == 302 and token not in done.headers["Location"]
    assert visitor.get(clean).status_code == 404 and app.test_client().get(link).status_code == 404  # used


def test_inviting_an_address_with_an_account_elsewhere_tells_the_inviter_nothing(app, as_user, world, smtp_sink):
    chef = as_user(world.chef_a)
    known = _invite(app, chef, world.chef_b).get_data(as_text=True)  # a chef of another group
    unknown = _invite(app, chef, "frei@nord.example").get_data(as_text=True)
    assert "Einladung an chef@sued.example ist unterwegs" in known and "Zugang" not in known.split("</p>")[0]
    assert "Einladung an frei@nord.example ist unterwegs" in unknown
    by_address = {mail["To"]: mail for mail in _mails(smtp_sink)}
    assert by_address[world.chef_b]["Subject"] == "Ihr Zugang zum Therapeuten-App-Portal"
    assert LINK.search(by_address[world.chef_b].get_body(("plain",)).get_content()) is None  # no way in
    own = chef.post("/benutzer/einladen", headers=HX, data={"email": world.therapeut_a, "role": "chef"})
    assert own.status_code == 422 and "bereits Benutzer Ihrer Praxisgruppe" in own.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, _user(app, world.chef_b).id).group_id == world.group_b


def test_invalid_invitations_are_refused_in_german(app, as_user, world, smtp_sink):
    chef = as_user(world.chef_a)
    for data, message in (({"email": "kaputt", "role": "therapeut"}, "gültige E-Mail-Adresse"),
                          ({"email": "x@nord.example", "role": "support"}, "Bitte wählen Sie eine Rolle"),
                          ({"email": "", "role": "chef"}, "Bitte geben Sie eine E-Mail-Adresse ein")):
        answer = chef.post("/benutzer/einladen", headers=HX, data=data)
        assert answer.status_code == 422 and message in answer.get_data(as_text=True), data
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_support_creates_a_group_whose_first_chef_joins_by_mail(app, as_user, world, smtp_sink):
    support = as_user(world.support)
    form = support.get("/support/gruppen/neu").get_data(as_text=True)
    assert "E-Mail der Praxisleitung" in form
    taken = support.post("/support/gruppen/neu", data={"name": "Praxisgruppe Nord", "licences": ["sync"],
                                                       "chef_email": "a@b.example"})
    assert taken.status_code == 422 and "gibt es schon" in taken.get_data(as_text=True)
    created = support.post("/support/gruppen/neu", data={"name": "Physio Ost", "licences": ["sync", "app"],
                                                         "chef_email": "Leitung@Ost.example"})
    assert "Praxisgruppe „Physio Ost“ angelegt" in created.get_data(as_text=True)
    run_jobs(app)
    [mail] = _mails(smtp_sink)
    visitor = app.test_client()
    assert _use_link(visitor, _link(mail), {"name": "Olga Ost", "password": NEW_PASSWORD,
                                            "repeat": NEW_PASSWORD}).status_code == 302
    user = _user(app, "leitung@ost.example")
    with app.app_context():
        group = db.session.get(PracticeGroup, user.group_id)
        assert (group.name, user.role) == ("Physio Ost", Role.CHEF)
        assert {str(licence.kind) for licence in group.licences} == {"sync", "app"}
    assert visitor.get("/benutzer").status_code == 200  # the new chef runs the group
    assert _actions(app) == ["group.created", "user.invited", "user.joined"]


def _set_name(app, email, name) -> None:
    with app.app_context():
        db.session.scalar(select(User).where(User.email == email)).name = name
        db.session.commit()


def test_open_invitations_say_where_they_stand_in_words_nobody_mistakes(app, as_user, world, smtp_sink):
    """Issue 24, item 6: "angenommen" meant the mail server took the mail; a chef read "joined"."""
    chef = as_user(world.chef_a)
    _invite(app, chef)
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id))
    listed = chef.get("/benutzer").get_data(as_text=True).split("Offene Einladungen")[1]
    assert "Einladung offen seit" in listed and "Mail zugestellt an Server" in listed
    assert ">angenommen<" not in listed and "angenommen am" not in listed
    row = chef.get(f"/benutzer/einladungen/{invitation_id}", headers=HX).get_data(as_text=True)
    assert f'id="invitation-{invitation_id}"' in row and 'hx-trigger="load delay:20s"' in row  # it looks again
    _use_link(app.test_client(), _link(_mails(smtp_sink)[0]), {"name": "Nina Neumann", "password": NEW_PASSWORD,
                                                                "repeat": NEW_PASSWORD})
    joined = chef.get(f"/benutzer/einladungen/{invitation_id}", headers=HX).get_data(as_text=True)
    assert "angenommen am" in joined and "Nina Neumann ist jetzt Benutzer" in joined
    assert "hx-trigger" not in joined and "Erneut senden" not in joined  # final: no more polling, no actions


def test_the_front_desk_role_and_the_inviter_are_named_so_nobody_mixes_them_up(app, as_user, world, smtp_sink):
    """Issue 24, item 9: "Praxisteam (therapeut)" beside "Therapeuten"; the inviter named by address."""
    chef = as_user(world.chef_a)
    page = chef.get("/benutzer").get_data(as_text=True)
    assert "Praxisteam (therapeut)" not in page and "Empfang/Praxisteam" in page
    assert "Die Einladung nennt Sie mit Ihrer E-Mail-Adresse, solange Ihr Name fehlt." in page
    assert chef.post("/konto/name", data={"name": "  Claudia   Sommer "}).status_code == 302
    _invite(app, chef)
    [mail] = _mails(smtp_sink)
    for part in ("plain", "html"):
        text = mail.get_body((part,)).get_content()
        assert "Claudia Sommer hat Sie in das Therapeuten-App-Portal" in text and world.chef_a not in text
        assert "(Empfang/Praxisteam)" in text
    visitor = app.test_client()
    join = visitor.get(_open(visitor, _link(mail))).get_data(as_text=True)
    assert "Claudia Sommer hat Sie in die Praxisgruppe" in join and "Empfang/Praxisteam" in join
    assert 'autocomplete="name"' in join  # the invitee gives their name as they join
    listed = chef.get("/benutzer").get_data(as_text=True)
    assert "Claudia Sommer" in listed.split("Offene Einladungen")[1]
    assert "Claudia Sommer" in chef.get("/konto").get_data(as_text=True)
    assert _actions(app) == ["user.renamed", "user.invited"]
    log = chef.get("/protokoll").get_data(as_text=True)
    assert "Name geändert" in log and "Empfang/Praxisteam" in log  # the role in words, the actor by name


def test_an_invitation_names_an_inviter_who_names_themselves_later(app, as_user, world, smtp_sink):
    chef = as_user(world.chef_a)
    _invite(app, chef)
    assert world.chef_a in chef.get("/benutzer").get_data(as_text=True).split("Offene Einladungen")[1]
    _set_name(app, world.chef_a, "Claudia Sommer")
    assert "Claudia Sommer" in chef.get("/benutzer").get_data(as_text=True).split("Offene Einladungen")[1]
    refused = chef.post("/konto/name", data={"name": ""})
    assert refused.status_code == 422 and "Bitte geben Sie Ihren Namen ein" in refused.get_data(as_text=True)


# --- a forgotten password ---------------------------------------------------------------------

def test_a_reset_answers_alike_for_any_address_and_ends_every_session(app, world, smtp_sink):
    old_browser = signed_in(app, world.chef_a)
    timings, pages = {}, {}
    app.test_client().post("/passwort-vergessen", data={"email": "aufwaermen@nirgends.example"})  # compile the pages
    for email in (world.chef_a, "niemand@nirgends.example"):
        started = time.monotonic()
        answer = app.test_client().post("/passwort-vergessen", data={"email": email})
        timings[email] = time.monotonic() - started
        page = re.sub(r'"[\w-]+\.[\w-]+\.[\w-]+"', '"CSRF"', answer.get_data(as_text=True))  # signed tokens differ
        pages[email] = page.replace(email, "ADDRESS")
    assert pages[world.chef_a] == pages["niemand@nirgends.example"] and "ist eine E-Mail" in pages[world.chef_a]
    assert abs(timings[world.chef_a] - timings["niemand@nirgends.example"]) < 0.15, timings
    run_jobs(app)
    [mail] = _mails(smtp_sink)  # only the known address gets one
    assert mail["To"] == world.chef_a and mail["Subject"] == "Neues Passwort für das Therapeuten-App-Portal"
    link = _link(mail)
    visitor = app.test_client()
    page = _open(visitor, link)
    assert "Neues Passwort wählen" in visitor.get(page).get_data(as_text=True)
    assert visitor.post(page, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD}).status_code == 302
    assert old_browser.get("/therapeuten").status_code == 302  # signed out at once
    assert app.test_client().post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD}).status_code == 200
    login(app.test_client(), world.chef_a, NEW_PASSWORD)
    assert app.test_client().get(link).status_code == 404
    assert _actions(app) == ["user.password_reset"]


def test_a_reset_link_expires_after_an_hour_and_only_the_newest_works(app, world, smtp_sink):
    for _ in range(2):
        app.test_client().post("/passwort-vergessen", data={"email": world.chef_a})
        run_jobs(app)
    first, second = (_link(mail) for mail in _mails(smtp_sink))
    assert app.test_client().get(first).status_code == 404
    clock.set(utcnow() + timedelta(minutes=61))
    assert app.test_client().get(second).status_code == 404


def test_a_password_change_voids_every_open_reset_link(app, world, smtp_sink):
    app.test_client().post("/passwort-vergessen", data={"email": world.therapeut_a})
    run_jobs(app)
    link = _link(_mails(smtp_sink)[-1])
    owner = signed_in(app, world.therapeut_a)
    owner.post("/konto/passwort", data={"current": f.PASSWORD, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert app.test_client().get(link).status_code == 404  # sent before the change: void
    app.test_client().post("/passwort-vergessen", data={"email": world.therapeut_a})  # still in the queue
    owner.post("/konto/passwort", data={"current": NEW_PASSWORD, "password": "Sonnenhof-Praxis-2027",
                                        "repeat": "Sonnenhof-Praxis-2027"})
    run_jobs(app)
    assert len(_mails(smtp_sink)) == 1  # the waiting one never left
    with app.app_context():
        mails = db.session.scalars(select(AccountMail).order_by(AccountMail.id)).all()
        assert [(m.delivery, m.superseded_at is not None) for m in mails] == [("accepted", True), ("cancelled", True)]


def test_a_forgotten_password_puts_no_address_into_redis_or_the_workers_log(app, world, smtp_sink, caplog):
    addresses = (world.chef_a, "niemand@nirgends.example")
    for email in addresses:
        assert app.test_client().post("/passwort-vergessen", data={"email": email}).status_code == 200
    [job] = app.task_queue.get_jobs()  # the known address's mail, by its id; nothing for the other
    assert job.id.startswith("account-mail-") and all(type(arg) is int for arg in job.args)
    keys = b" ".join(app.redis.scan_iter())
    for email in addresses:
        assert email not in job.description and email.encode() not in keys
    with caplog.at_level(logging.INFO, logger="rq.worker"):
        run_jobs(app)
    worker_lines = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("rq."))
    assert job.id in worker_lines and not any(email in worker_lines for email in addresses)
    assert [mail["To"] for mail in _mails(smtp_sink)] == [world.chef_a]


def test_the_link_points_to_portal_url_whatever_the_host_header(migrated, database_url, redis_url, world,
                                                               smtp_sink):
    app = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port,
                   PORTAL_URL="https://portal.praxis.example")
    app.test_client().post("/passwort-vergessen", data={"email": world.chef_a},
                           headers={"Host": "evil.example"})
    run_jobs(app)
    text = _mails(smtp_sink)[-1].get_body(("plain",)).get_content()
    assert "https://portal.praxis.example/passwort/neu/" in text and "evil.example" not in text


# --- password change and sessions ---------------------------------------------------------------

def test_changing_the_password_asks_for_the_current_one_and_ends_the_other_sessions(app, world):
    here, elsewhere = signed_in(app, world.therapeut_a), signed_in(app, world.therapeut_a)
    wrong = here.post("/konto/passwort", data={"current": "falsch", "password": NEW_PASSWORD,
                                               "repeat": NEW_PASSWORD})
    assert wrong.status_code == 422 and "Das aktuelle Passwort stimmt nicht." in wrong.get_data(as_text=True)
    done = here.post("/konto/passwort", data={"current": f.PASSWORD, "password": NEW_PASSWORD,
                                              "repeat": NEW_PASSWORD}, follow_redirects=True)
    assert "Ihr Passwort wurde geändert." in done.get_data(as_text=True)
    assert here.get("/therapeuten").status_code == 200 and elsewhere.get("/therapeuten").status_code == 302
    login(app.test_client(), world.therapeut_a, NEW_PASSWORD)
    assert _actions(app) == ["user.password_changed"]


def test_a_cookie_copied_before_signing_out_opens_nothing(app, world):
    browser = signed_in(app, world.chef_a)
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)  # the session cookie, copied
    thief.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert thief.get("/therapeuten").status_code == 200  # before: the copy works like the original
    browser.post("/abmelden")
    assert thief.get("/therapeuten").status_code == 302 and browser.get("/therapeuten").status_code == 302


def test_my_account_lists_the_sessions_and_ends_one_or_all_others(app, world):
    firefox = app.test_client()
    firefox.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"
    login(firefox, world.chef_a)
    safari, edge = signed_in(app, world.chef_a), signed_in(app, world.chef_a)
    page = safari.get("/konto").get_data(as_text=True)
    assert "Firefox auf Windows" in page and "dieser Browser" in page and "Alle anderen abmelden" in page
    with app.app_context():
        firefox_session = db.session.scalars(select(UserSession).order_by(UserSession.id)).first()
    safari.post(f"/konto/sitzungen/{firefox_session.id}/beenden")
    assert firefox.get("/therapeuten").status_code == 302 and edge.get("/therapeuten").status_code == 200
    foreign = signed_in(app, world.chef_b)
    assert foreign.post(f"/konto/sitzungen/{firefox_session.id}/beenden").status_code == 404
    ended = safari.post("/konto/sitzungen/andere-beenden", follow_redirects=True).get_data(as_text=True)
    assert "1 andere Anmeldung wurde beendet." in ended
    assert edge.get("/therapeuten").status_code == 302 and safari.get("/therapeuten").status_code == 200
    assert _actions(app) == ["user.sessions_ended", "user.sessions_ended"]


def test_deactivating_a_user_ends_their_open_session_at_once(app, as_user, world):
    victim = signed_in(app, world.therapeut_a)
    assert victim.get("/therapeuten").status_code == 200
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == world.therapeut_a))
    as_user(world.chef_a).post(f"/benutzer/{user_id}/deaktivieren", headers=HX)
    assert victim.get("/therapeuten").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id)).where(
            UserSession.user_id == user_id, UserSession.ended_at.is_(None))) == 0


# --- the second factor --------------------------------------------------------------------------

def _set_up_app(app, client) -> tuple[str, list[str]]:
    """Set up the authenticator app from "Mein Konto"; returns the secret and the recovery codes."""
    page = client.get("/konto/zweiter-faktor/app").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert 'src="data:image/png;base64,' in page  # the QR code, and the key as text:
    secret = re.search(r'<code class="totp-key" id="totp-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    wrong = client.post("/konto/zweiter-faktor/app", data={"code": "000000"})
    assert wrong.status_code == 422 and "Dieser Code stimmt nicht" in wrong.get_data(as_text=True)
    done = client.post("/konto/zweiter-faktor/app", data={"code": pyotp.TOTP(secret).at(utcnow())})
    codes = re.findall(r"<li><code>([A-Z2-9]{5}-[A-Z2-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_the_authenticator_app_protects_the_sign_in_and_a_code_counts_once(app, world, smtp_sink):
    client = signed_in(app, world.chef_a)
    secret, codes = _set_up_app(app, client)
    run_jobs(app)
    notice = _mails(smtp_sink)[-1]
    assert notice["Subject"] == "Zweiter Faktor Ihres Zugangs geändert"
    assert "Authenticator-App eingerichtet" in notice.get_body(("plain",)).get_content()
    browser = app.test_client()
    first = browser.post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD})
    assert first.headers["Location"].endswith("/anmelden/bestaetigen")
    assert browser.get("/therapeuten").status_code == 302  # the password alone opens nothing
    step = browser.get("/anmelden/bestaetigen").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in step and 'inputmode="numeric"' in step
    wrong = browser.post("/anmelden/bestaetigen", data={"code": "123456"})
    assert "Dieser Code stimmt nicht" in wrong.get_data(as_text=True)
    clock.set(utcnow() + timedelta(seconds=31))  # the setup's code was this half minute's
    code = pyotp.TOTP(secret).at(utcnow())
    assert browser.post("/anmelden/bestaetigen", data={"code": code}).status_code == 302
    assert browser.get("/therapeuten").status_code == 200
    replay = app.test_client()
    replay.post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD})
    assert replay.post("/anmelden/bestaetigen", data={"code": code}).status_code == 200  # the same code again
    assert replay.get("/therapeuten").status_code == 302
    assert _actions(app) == ["second_factor.added"]


def test_a_recovery_code_works_once(app, world):
    client = signed_in(app, world.chef_a)
    _secret, codes = _set_up_app(app, client)
    for expected in (302, 200):
        browser = app.test_client()
        browser.post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD})
        answer = browser.post("/anmelden/bestaetigen", data={"recovery_code": codes[3].lower()})
        assert answer.status_code == expected
    assert "schon verwendet" in answer.get_data(as_text=True)
    assert "noch 9 Wiederherstellungscodes" in client.get("/konto/zweiter-faktor").get_data(as_text=True)


def test_support_reaches_nothing_until_a_second_factor_is_set_up(app, world):
    with app.app_context():
        f.user(None, Role.SUPPORT, "neu-support@hersteller.example", totp_secret="")  # none
        db.session.commit()
    client = app.test_client()
    assert client.post("/anmelden", data={"email": "neu-support@hersteller.example",
                                          "password": f.PASSWORD}).status_code == 302
    for path in ("/support", "/protokoll", "/support/gruppen/neu", "/konto"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/konto/zweiter-faktor"), path
    assert client.get("/support/suche?q=an", headers=HX).headers["HX-Redirect"].endswith("/konto/zweiter-faktor")
    page = client.get("/konto/zweiter-faktor").get_data(as_text=True)
    assert "vorgeschrieben" in page
    _set_up_app(app, client)
    assert client.get("/support").status_code == 200


def test_a_chef_can_require_a_second_factor_of_the_whole_group(app, as_user, world):
    therapeut = signed_in(app, world.therapeut_a)
    chef = as_user(world.chef_a)
    chef.post("/benutzer/sicherheit", headers=HX, data={"require_second_factor": "y"})
    assert therapeut.get("/therapeuten").headers["Location"].endswith("/konto/zweiter-faktor")
    assert chef.get("/benutzer").headers["Location"].endswith("/konto/zweiter-faktor")  # the chef too
    _set_up_app(app, chef)
    listed = chef.get("/benutzer").get_data(as_text=True)
    assert "fehlt noch" in listed and re.search(r'<input checked[^>]*name="require_second_factor"', listed)
    chef.post("/benutzer/sicherheit", headers=HX, data={})
    assert therapeut.get("/therapeuten").status_code == 200
    assert _actions(app) == ["group.second_factor_required", "second_factor.added", "group.second_factor_optional"]


def test_a_required_factor_cannot_be_removed_and_an_optional_one_only_with_the_password(app, world):
    support = signed_in(app, world.support)
    support.post("/konto/zweiter-faktor/app/entfernen", data={"password": f.PASSWORD})
    assert _user(app, world.support).totp_secret is not None  # support cannot go without
    chef = signed_in(app, world.chef_a)
    _set_up_app(app, chef)
    chef.post("/konto/zweiter-faktor/app/entfernen", data={"password": "falsch"})
    assert _user(app, world.chef_a).totp_secret is not None
    chef.post("/konto/zweiter-faktor/app/entfernen", data={"password": f.PASSWORD})
    assert _user(app, world.chef_a).totp_secret is None
    assert app.test_client().post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD}
                                  ).headers["Location"].endswith("/therapeuten")


def test_replacing_the_authenticator_app_asks_for_the_password(app, world):
    chef = signed_in(app, world.chef_a)
    old_secret, _codes = _set_up_app(app, chef)
    page = chef.get("/konto/zweiter-faktor/app").get_data(as_text=True)
    assert 'name="password"' in page and 'autocomplete="current-password"' in page
    new_secret = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    code = pyotp.TOTP(new_secret).at(utcnow())
    for data, message in (({"code": code}, "Bitte bestätigen Sie mit Ihrem Passwort."),
                          ({"code": code, "password": "falsch"}, "Das Passwort stimmt nicht.")):
        refused = chef.post("/konto/zweiter-faktor/app", data=data)
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)
        assert _user(app, world.chef_a).totp_secret == old_secret  # the old app still counts
    done = chef.post("/konto/zweiter-faktor/app", data={"code": code, "password": f.PASSWORD})
    assert "Wiederherstellungscodes" in done.get_data(as_text=True)
    assert _user(app, world.chef_a).totp_secret == new_secret
    assert _actions(app) == ["second_factor.added", "second_factor.added"]


def test_support_resets_a_users_second_factor_with_audit_and_mail(app, as_user, world, smtp_sink):
    chef = signed_in(app, world.chef_a)
    _set_up_app(app, chef)
    run_jobs(app)
    user = _user(app, world.chef_a)
    support = signed_in(app, world.support)
    page = support.get(f"/support/gruppen/{world.group_a}").get_data(as_text=True)
    assert "Zweiten Faktor zurücksetzen" in page
    assert "zurückgesetzt" in support.post(f"/support/benutzer/{user.id}/zweiter-faktor").get_data(as_text=True)
    run_jobs(app)
    assert _user(app, world.chef_a).totp_secret is None
    mail = _mails(smtp_sink)[-1]
    assert mail["To"] == world.chef_a and "vom Kundenservice zurückgesetzt" in mail.get_body(("plain",)).get_content()
    assert "second_factor.reset" in _actions(app)
    assert as_user(world.chef_a).post(f"/support/benutzer/{user.id}/zweiter-faktor").status_code == 403


# --- throttling --------------------------------------------------------------------------------

def _attempt(app, email, password, address, known_from=None):
    client = known_from or app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client.post("/anmelden", data={"email": email, "password": password})


def test_one_account_guessed_from_many_addresses_is_throttled_but_its_owner_gets_in(app, world):
    owner = app.test_client()
    login(owner, world.chef_a)  # this browser is known for the account from now on
    owner.post("/abmelden")
    limit = int(app.config["ACCOUNT_FAILURE_LIMIT"].split()[0])
    for i in range(limit):
        assert _attempt(app, world.chef_a, f"falsch-{i}", f"198.51.100.{i}").status_code == 200
    refused = _attempt(app, world.chef_a, f.PASSWORD, "198.51.100.200")  # even the right password, elsewhere
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Zu viele Versuche" in refused.get_data(as_text=True)
    assert _attempt(app, world.chef_a, f.PASSWORD, "192.0.2.7", known_from=owner).status_code == 302
    assert _attempt(app, world.chef_b, f.PASSWORD, "198.51.100.201").status_code == 302  # other accounts: fine
    assert "user.sign_in_failures" in _actions(app)


def test_a_practice_behind_one_address_is_not_locked_out_by_one_guesser(app, world):
    colleague = app.test_client()
    login(colleague, world.therapeut_a)
    colleague.post("/abmelden")
    limit = int(app.config["LOGIN_FAILURE_LIMIT"].split()[0])
    for i in range(limit):
        _attempt(app, f"raten{i}@nord.example", "falsch", "192.0.2.50")
    assert _attempt(app, world.chef_a, f.PASSWORD, "192.0.2.50").status_code == 429  # a new browser waits
    assert _attempt(app, world.therapeut_a, f.PASSWORD, "192.0.2.50", known_from=colleague).status_code == 302


def test_the_second_step_and_the_reset_are_throttled_too(app, world):
    browser = app.test_client()
    browser.post("/anmelden", data={"email": world.support, "password": f.PASSWORD})
    limit = int(app.config["SECOND_FACTOR_LIMIT"].split()[0])
    for _ in range(limit):
        assert browser.post("/anmelden/bestaetigen", data={"code": "000000"}).status_code == 200
    blocked = browser.post("/anmelden/bestaetigen", data={"code": totp_code(f.SUPPORT_TOTP_SECRET, app,
                                                                            world.support)})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    per_address = int(app.config["RESET_ADDRESS_LIMIT"].split()[0])
    for i in range(per_address):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{i}"
        assert client.post("/passwort-vergessen", data={"email": "wer@auch.example"}).status_code == 200
    assert app.test_client().post("/passwort-vergessen", data={"email": "wer@auch.example"}).status_code == 429


def _exhaust_the_accounts_limit_for_new_browsers(app, email):
    limit = int(app.config["ACCOUNT_FAILURE_LIMIT"].split()[0])
    for i in range(limit):
        assert _attempt(app, email, f"falsch-{i}", f"198.51.100.{i}").status_code == 200
    assert _attempt(app, email, f.PASSWORD, "198.51.100.250").status_code == 429


@pytest.mark.parametrize("event", ["password_changed", "password_reset", "deactivated"])
def test_a_known_browser_counts_as_new_after_a_password_change_a_reset_or_a_deactivation(app, as_user, world,
                                                                                         smtp_sink, event):
    owner = signed_in(app, world.therapeut_a)  # this browser is known for the account now
    owner.post("/abmelden")
    password = NEW_PASSWORD
    if event == "password_changed":
        changer = signed_in(app, world.therapeut_a)
        changer.post("/konto/passwort", data={"current": f.PASSWORD, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
        changer.post("/abmelden")
    elif event == "password_reset":
        app.test_client().post("/passwort-vergessen", data={"email": world.therapeut_a})
        run_jobs(app)
        _use_link(app.test_client(), _link(_mails(smtp_sink)[-1]), {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    else:
        user_id = _user(app, world.therapeut_a).id
        chef = as_user(world.chef_a)
        chef.post(f"/benutzer/{user_id}/deaktivieren", headers=HX)
        chef.post(f"/benutzer/{user_id}/aktivieren", headers=HX)
        password = f.PASSWORD
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == world.therapeut_a)).check_password(password)
    _exhaust_the_accounts_limit_for_new_browsers(app, world.therapeut_a)
    assert _attempt(app, world.therapeut_a, password, "192.0.2.7", known_from=owner).status_code == 429
    if event == "password_changed":  # the browser that set the new password stays known
        assert _attempt(app, world.therapeut_a, password, "192.0.2.8", known_from=changer).status_code == 302


def test_a_known_browser_raises_the_accounts_limit_but_never_lifts_it(app, world):
    app.config.update(ACCOUNT_FAILURE_LIMIT="4 per 15 minutes", DEVICE_FAILURE_LIMIT="3 per 15 minutes",
                      ACCOUNT_FAILURE_CEILING="8 per 15 minutes")
    browsers = []
    for _ in range(3):
        browsers.append(signed_in(app, world.chef_a))
        browsers[-1].post("/abmelden")
    copy = app.test_client()  # the first browser's cookie, copied to another browser elsewhere
    copy.set_cookie("portal_known", browsers[0].get_cookie("portal_known").value)
    _exhaust_the_accounts_limit_for_new_browsers(app, world.chef_a)  # 4 wrong passwords from new browsers
    for i in range(3):
        assert _attempt(app, world.chef_a, f"kopie-{i}", "203.0.113.9", known_from=copy).status_code == 200
    refused = _attempt(app, world.chef_a, f.PASSWORD, "203.0.113.9", known_from=copy)
    assert refused.status_code == 429 and "Zu viele Versuche" in refused.get_data(as_text=True)  # its own lockout
    assert _attempt(app, world.chef_a, f.PASSWORD, "192.0.2.7", known_from=browsers[0]).status_code == 429
    assert _attempt(app, world.chef_a, "falsch", "192.0.2.7", known_from=browsers[1]).status_code == 200  # 8th
    assert _attempt(app, world.chef_a, f.PASSWORD, "192.0.2.7", known_from=browsers[2]).status_code == 429
    assert _attempt(app, world.chef_b, f.PASSWORD, "192.0.2.7", known_from=browsers[2]).status_code == 302


def test_a_guesser_with_the_password_cannot_lock_the_owner_out_of_the_second_step(app, world):
    owner = signed_in(app, world.support)  # the owner's browser, known for the account
    owner.post("/abmelden")
    limit = int(app.config["SECOND_FACTOR_LIMIT"].split()[0])
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    assert guesser.post("/anmelden", data={"email": world.support, "password": f.PASSWORD}).status_code == 302
    for _ in range(limit):
        assert guesser.post("/anmelden/bestaetigen", data={"code": "000000"}).status_code == 200
    code = totp_code(f.SUPPORT_TOTP_SECRET, app, world.support)
    assert guesser.post("/anmelden/bestaetigen", data={"code": code}).status_code == 429
    stranger = app.test_client()  # any new browser elsewhere waits too (per account)
    stranger.environ_base["REMOTE_ADDR"] = "198.51.100.77"
    stranger.post("/anmelden", data={"email": world.support, "password": f.PASSWORD})
    assert stranger.post("/anmelden/bestaetigen", data={"code": code}).status_code == 429
    login(owner, world.support)  # the owner's browser gets in
    assert owner.get("/support").status_code == 200
    copy = app.test_client()  # a copy of the owner's cookie has a lockout of its own
    copy.set_cookie("portal_known", owner.get_cookie("portal_known").value)
    copy.post("/anmelden", data={"email": world.support, "password": f.PASSWORD})
    for _ in range(int(app.config["SECOND_FACTOR_DEVICE_LIMIT"].split()[0])):
        assert copy.post("/anmelden/bestaetigen", data={"code": "000000"}).status_code == 200
    assert copy.post("/anmelden/bestaetigen", data={"code": totp_code(f.SUPPORT_TOTP_SECRET, app,
                                                                      world.support)}).status_code == 429


# --- the mails -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["invitation", "reset"])
def test_spamassassin_scores_the_account_mails_at_most_zero(app, as_user, world, smtp_sink, kind):
    spamassassin = shutil.which("spamassassin")
    if spamassassin is None:
        pytest.fail("spamassassin fehlt: bin/test installiert es als root mit apt-get.")
    if kind == "invitation":
        _invite(app, as_user(world.chef_a))
    else:
        app.test_client().post("/passwort-vergessen", data={"email": world.chef_a})
        run_jobs(app)
    raw = sorted(smtp_sink.directory.glob("*.eml"))[-1].read_bytes()
    assert b"Auto-Submitted: auto-generated" in raw and b"Message-ID: <" in raw
    result = subprocess.run([spamassassin, "-x", "-t", "-L", "--cf=use_bayes 0"], input=raw,
                            capture_output=True, timeout=120)
    report = result.stdout.decode(errors="replace")
    score = float(re.search(r"X-Spam-Status: \w+, score=(-?[\d.]+)", report).group(1))
    assert score <= 0.0, report[-3000:]


def test_account_mails_show_in_the_chefs_mail_log_and_survive_a_mail_server_outage(migrated, database_url,
                                                                                   redis_url, world, smtp_sink):
    down = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    _invite(down, signed_in(down, world.chef_a))
    with down.app_context():
        mail = db.session.scalars(select(AccountMail)).one()
        assert mail.delivery == "retrying" and mail.kind == MailKind.INVITATION
    log = signed_in(down, world.chef_a).get("/mail-protokoll").get_data(as_text=True)
    assert "E-Mails an Portal-Benutzer" in log and "neuer Versuch um" in log
    assert "E-Mails an Portal-Benutzer" not in signed_in(down, world.therapeut_a).get("/mail-protokoll").get_data(
        as_text=True)
    up = make_app(database_url, redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port)
    clock.set(utcnow() + timedelta(minutes=2))
    with up.app_context():
        assert sweep_account_mails() == 1
    run_jobs(up)
    assert [m["To"] for m in smtp_sink.messages()] == ["neu@nord.example"]
